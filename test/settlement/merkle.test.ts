import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  checkMerkleProof,
  hashPair,
  merkleDepth,
  merkleProof,
  merkleProofOfBlob,
  merkleRoot,
  merkleRootOfBlob,
  receiptLeafHash,
  rootFromProof,
  type MerkleSibling,
} from '../../src/settlement/index.js';

const sha = (data: string | Uint8Array) => createHash('sha256').update(data).digest();
/** Leaf i = SHA-256 of the single byte i (the vectors below were computed independently). */
const leaves = Array.from({ length: 9 }, (_, i) => sha(Buffer.from([i])));
const hex = (b: Buffer) => b.toString('hex');

describe('merkle vectors', () => {
  test('1 leaf: the root is the leaf', () => {
    assert.equal(hex(merkleRoot(leaves.slice(0, 1))), '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d');
    assert.deepEqual(merkleProof(leaves.slice(0, 1), 0), []);
  });

  test('2 leaves: H(l0 ‖ l1) over raw bytes', () => {
    const expected = '30e1867424e66e8b6d159246db94e3486778136f7e386ff5f001859d6b8484ab';
    assert.equal(hex(merkleRoot(leaves.slice(0, 2))), expected);
    assert.equal(hex(sha(Buffer.concat([leaves[0]!, leaves[1]!]))), expected);
  });

  test('3 leaves: the odd leaf is paired with itself', () => {
    const expected = 'f2dcdd96791b6bac5d554f2d320e594b834f5da1981812c3707e7772234cb0ad';
    assert.equal(hex(merkleRoot(leaves.slice(0, 3))), expected);
    const manual = hashPair(hashPair(leaves[0]!, leaves[1]!), hashPair(leaves[2]!, leaves[2]!));
    assert.equal(hex(manual), expected);
  });

  test('5 leaves: odd nodes paired with themselves on every level', () => {
    const expected = '9674600fd139741c0f7dd7a32d984a0e74401cc90e6e8e5d203ed973d27324fe';
    assert.equal(hex(merkleRoot(leaves.slice(0, 5))), expected);
    const h01 = hashPair(leaves[0]!, leaves[1]!);
    const h23 = hashPair(leaves[2]!, leaves[3]!);
    const h44 = hashPair(leaves[4]!, leaves[4]!);
    const manual = hashPair(hashPair(h01, h23), hashPair(h44, h44));
    assert.equal(hex(manual), expected);
  });

  test('receipt leaf = SHA-256 of the RFC 8785 receipt (leaf fields only)', () => {
    const receipt = {
      id: '00000000-0000-4000-8000-000000000001',
      payer: '11111111111111111111111111111111',
      resource: 'tool',
      status: 'ok',
      credits_consumed: 1,
      settled_at: 1_700_000_000_000,
      intent_id: null,
      memory_record_id: null,
      failure_reason: null,
    };
    const expected = '061f6490a8119b16aa741d59e6c21caf3363d311f5db22e7a2f9dc06a0418894';
    assert.equal(hex(receiptLeafHash(receipt)), expected);
    // The batch fields are not part of the leaf: batching does not change it.
    assert.equal(hex(receiptLeafHash({ ...receipt, batch_id: 'b', merkle_root: 'r', chain: 'local', tx_sig: null })), expected);
    // Any receipt field is.
    assert.notEqual(hex(receiptLeafHash({ ...receipt, credits_consumed: 2 })), expected);
  });

  test('no leaves, or a leaf that is not 32 bytes, is refused', () => {
    assert.throws(() => merkleRoot([]), RangeError);
    assert.throws(() => merkleRoot([Buffer.alloc(31)]), RangeError);
    assert.throws(() => merkleProof(leaves.slice(0, 3), 3), RangeError);
  });
});

describe('merkle proofs', () => {
  test('every index of trees of size 1..9 proves to the root, strictly', () => {
    for (let size = 1; size <= 9; size += 1) {
      const tree = leaves.slice(0, size);
      const root = hex(merkleRoot(tree));
      for (let index = 0; index < size; index += 1) {
        const siblings = merkleProof(tree, index);
        assert.equal(siblings.length, merkleDepth(size), `size ${size} index ${index}: depth`);
        assert.equal(rootFromProof(hex(leaves[index]!), siblings), root, `size ${size} index ${index}: fold`);
        assert.deepEqual(checkMerkleProof({ leafHex: hex(leaves[index]!), index, leafCount: size, siblings, rootHex: root }), []);
      }
    }
  });

  test('a wrong leaf, sibling, side, index, count or root fails', () => {
    const tree = leaves.slice(0, 7);
    const root = hex(merkleRoot(tree));
    const index = 5;
    const siblings = merkleProof(tree, index);
    const check = (over: Partial<{ leafHex: string; index: number; leafCount: number; siblings: MerkleSibling[]; rootHex: string }>) =>
      checkMerkleProof({ leafHex: hex(leaves[index]!), index, leafCount: 7, siblings, rootHex: root, ...over });
    assert.deepEqual(check({}), []);
    assert.notDeepEqual(check({ leafHex: hex(leaves[4]!) }), []);
    const flippedHash = siblings.map((s, i) => (i === 1 ? { ...s, hash: hex(sha('x')) } : s));
    assert.notDeepEqual(check({ siblings: flippedHash }), []);
    const flippedSide = siblings.map((s, i) => (i === 0 ? { ...s, side: s.side === 'left' ? ('right' as const) : ('left' as const) } : s));
    assert.notDeepEqual(check({ siblings: flippedSide }), []);
    assert.notDeepEqual(check({ index: 4 }), []);
    assert.notDeepEqual(check({ index: 7 }), []);
    assert.notDeepEqual(check({ leafCount: 9 }), [], 'a different count needs a different depth or sides');
    assert.notDeepEqual(check({ siblings: siblings.slice(0, -1) }), []);
    assert.notDeepEqual(check({ rootHex: hex(sha('root')) }), []);
  });

  test('the last leaf of an odd level must be paired with itself, not with a made-up sibling', () => {
    const tree = leaves.slice(0, 3);
    const root = hex(merkleRoot(tree));
    const siblings = merkleProof(tree, 2);
    assert.equal(siblings[0]!.hash, hex(leaves[2]!));
    const forged = [{ hash: hex(leaves[1]!), side: 'right' as const }, siblings[1]!];
    const problems = checkMerkleProof({ leafHex: hex(leaves[2]!), index: 2, leafCount: 3, siblings: forged, rootHex: root });
    assert.ok(problems.some((p) => /paired with itself/.test(p)), problems.join('; '));
  });
});

/** The tree as SPEC 15 words it, one level at a time with a fresh Hash per node: the reference the buffer-based tree must equal. */
function referenceLevels(tree: Buffer[]): Buffer[][] {
  const levels = [tree];
  while (levels.at(-1)!.length > 1) {
    const level = levels.at(-1)!;
    const next: Buffer[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(sha(Buffer.concat([level[i]!, level[i + 1] ?? level[i]!])));
    levels.push(next);
  }
  return levels;
}

describe('the tree over leaves back to back (what a flush builds and a batch stores)', () => {
  test('root and every proof equal the per-node reference for trees of 1..70 leaves (and a view into a larger buffer)', () => {
    for (let size = 1; size <= 70; size += 1) {
      const tree = Array.from({ length: size }, (_, i) => sha(`leaf ${size}/${i}`));
      const levels = referenceLevels(tree);
      const root = levels.at(-1)![0]!;
      // The leaves as a view at an odd offset of a larger buffer, as a stored blob may be.
      const backing = Buffer.concat([Buffer.from([7]), ...tree, Buffer.from([9])]);
      const blob = backing.subarray(1, 1 + size * 32);
      assert.equal(hex(merkleRootOfBlob(blob)), hex(root), `size ${size}`);
      assert.equal(hex(merkleRoot(tree)), hex(root), `size ${size}: array form`);
      for (let index = 0; index < size; index += 1) {
        const expected: MerkleSibling[] = levels.slice(0, -1).map((level, depth) => {
          const position = index >> depth;
          return position % 2 === 1
            ? { hash: hex(level[position - 1]!), side: 'left' }
            : { hash: hex(level[position + 1] ?? level[position]!), side: 'right' };
        });
        assert.deepEqual(merkleProofOfBlob(blob, index), expected, `size ${size} index ${index}`);
        assert.deepEqual(merkleProof(tree, index), expected, `size ${size} index ${index}: array form`);
      }
      assert.deepEqual([...backing.subarray(1, 1 + size * 32)], [...Buffer.concat(tree)], 'the leaves are left as they were');
    }
  });

  test('an empty blob, or one that is not whole 32-byte leaves, is refused', () => {
    assert.throws(() => merkleRootOfBlob(Buffer.alloc(0)), RangeError);
    assert.throws(() => merkleRootOfBlob(Buffer.alloc(65)), RangeError);
    assert.throws(() => merkleProofOfBlob(Buffer.alloc(64), 2), RangeError);
  });
});

describe('proof format', () => {
  test('the golden receipt_proof (a real daemon proof) still verifies offline, and an edit breaks it', async () => {
    const { readFileSync } = await import('node:fs');
    const { REPO_ROOT } = await import('../helpers/binaries.js');
    const { verifyReceiptProof } = await import('../../src/settlement/index.js');
    const { ReceiptProofSchema } = await import('../../src/protocol/index.js');
    const golden = JSON.parse(readFileSync(join(REPO_ROOT, 'test', 'golden', 'responses', 'receipt_proof.json'), 'utf8')) as { proof: unknown };
    const proof = ReceiptProofSchema.parse(golden.proof);
    assert.equal(verifyReceiptProof(proof).valid, true);
    const edited = { ...proof, receipt: { ...proof.receipt, status: 'failed' } };
    assert.deepEqual(verifyReceiptProof(edited).failures.map((f) => f.check), ['leaf_hash', 'path']);
    const extra = { ...proof, receipt: { ...proof.receipt, bonus: 1 } };
    assert.equal(verifyReceiptProof(extra).valid, false);
  });
});
