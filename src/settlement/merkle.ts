/**
 * Binary Merkle trees over SHA-256 (SPEC 15), pure: no I/O, no clock.
 *
 * - Leaves are 32-byte hashes (for receipts: SHA-256 of the RFC 8785 canonical receipt, see
 *   `proof.ts`). A tree of one leaf has that leaf as its root.
 * - An internal node is SHA-256(left ‖ right) over the raw 32-byte values (not their hex).
 * - A level with an odd number of nodes pairs its last node with itself: SHA-256(x ‖ x).
 * - Hashes travel as lowercase hex.
 *
 * A proof is the list of siblings from the leaf up to the root; `side` says where the sibling
 * sits: "left" means parent = H(sibling ‖ current), "right" means parent = H(current ‖ sibling).
 */
import * as crypto from 'node:crypto';

type OneShotHash = {
  (algorithm: string, data: string | Uint8Array, encoding: 'buffer'): Buffer;
  (algorithm: string, data: string | Uint8Array, encoding: 'binary'): string;
};
/** `crypto.hash` (Node 20.12+): several times faster than createHash for one small input. */
const oneShotHash = (crypto as { hash?: OneShotHash }).hash;

export type MerkleSide = 'left' | 'right';

export interface MerkleSibling {
  hash: string;
  side: MerkleSide;
}

const HEX_HASH = /^[0-9a-f]{64}$/;

export function isHashHex(value: unknown): value is string {
  return typeof value === 'string' && HEX_HASH.test(value);
}

export function sha256(data: string | Uint8Array): Buffer {
  return oneShotHash ? oneShotHash('sha256', data, 'buffer') : crypto.createHash('sha256').update(data).digest();
}

/**
 * Writes SHA-256(`data`) at `target[offset ..< offset + 32]`. The digest comes back as a latin1
 * string, one byte per character, not a Buffer: a Buffer per digest is an ArrayBuffer of its
 * own, and the 20,000 of a 10,000-receipt flush cost as much as the hashing.
 */
export function sha256Into(target: Buffer, offset: number, data: string | Uint8Array): void {
  if (oneShotHash) target.write(oneShotHash('sha256', data, 'binary'), offset, 32, 'latin1');
  else target.set(sha256(data), offset);
}

/** SHA-256(left ‖ right) over raw bytes. */
export function hashPair(left: Uint8Array, right: Uint8Array): Buffer {
  return crypto.createHash('sha256').update(left).update(right).digest();
}

function assertLeaves(leaves: readonly Uint8Array[]): void {
  if (leaves.length === 0) throw new RangeError('a Merkle tree needs at least one leaf');
  for (const leaf of leaves) {
    if (leaf.length !== 32) throw new RangeError(`a Merkle leaf is a 32-byte hash, got ${leaf.length} bytes`);
  }
}

/** The leaves (32-byte hashes) back to back in one buffer: how a flush builds them and a batch stores them. */
function assertLeafBlob(leaves: Uint8Array): number {
  if (leaves.length === 0) throw new RangeError('a Merkle tree needs at least one leaf');
  if (leaves.length % 32 !== 0) throw new RangeError(`Merkle leaves are 32-byte hashes back to back, got ${leaves.length} bytes`);
  return leaves.length / 32;
}

/**
 * The next level up of a level of `width` nodes stored back to back: pairs, the odd last node
 * paired with itself. One buffer per level and one hash call per node, written into it (no
 * per-node Hash object, concatenation or Buffer): a 10,000-leaf tree is 10,000 of these calls.
 */
function parentLevel(level: Buffer, width: number): Buffer {
  const parents = Math.ceil(width / 2);
  const next = Buffer.allocUnsafe(parents * 32);
  const pairs = Math.floor(width / 2);
  for (let i = 0; i < pairs; i += 1) sha256Into(next, i * 32, level.subarray(i * 64, i * 64 + 64));
  if (parents > pairs) {
    const last = level.subarray((width - 1) * 32, width * 32);
    sha256Into(next, pairs * 32, Buffer.concat([last, last]));
  }
  return next;
}

/** The root of the tree over `leaves`: 32-byte hashes back to back, in order. */
export function merkleRootOfBlob(leaves: Uint8Array): Buffer {
  let width = assertLeafBlob(leaves);
  let level = Buffer.from(leaves.buffer, leaves.byteOffset, leaves.length);
  while (width > 1) {
    level = parentLevel(level, width);
    width = Math.ceil(width / 2);
  }
  return Buffer.from(level.subarray(0, 32));
}

/** The root of the tree over `leaves` (32-byte hashes, in order). */
export function merkleRoot(leaves: readonly Uint8Array[]): Buffer {
  assertLeaves(leaves);
  return merkleRootOfBlob(Buffer.concat(leaves));
}

/** How many siblings a proof in a tree of `leafCount` leaves has (0 for one leaf). */
export function merkleDepth(leafCount: number): number {
  if (!Number.isSafeInteger(leafCount) || leafCount < 1) throw new RangeError('leafCount must be a positive integer');
  let depth = 0;
  for (let width = leafCount; width > 1; width = Math.ceil(width / 2)) depth += 1;
  return depth;
}

/** The inclusion proof of leaf `index`: its siblings from the bottom up. */
export function merkleProof(leaves: readonly Uint8Array[], index: number): MerkleSibling[] {
  assertLeaves(leaves);
  return merkleProofOfBlob(Buffer.concat(leaves), index);
}

/** `merkleProof` over the leaves back to back in one buffer. */
export function merkleProofOfBlob(leaves: Uint8Array, index: number): MerkleSibling[] {
  let width = assertLeafBlob(leaves);
  if (!Number.isSafeInteger(index) || index < 0 || index >= width) {
    throw new RangeError(`leaf index ${index} is outside a tree of ${width} leaves`);
  }
  const siblings: MerkleSibling[] = [];
  let level = Buffer.from(leaves.buffer, leaves.byteOffset, leaves.length);
  let position = index;
  while (width > 1) {
    // The odd last node is paired with itself.
    const sibling = position % 2 === 1 ? position - 1 : Math.min(position + 1, width - 1);
    siblings.push({ hash: level.toString('hex', sibling * 32, sibling * 32 + 32), side: position % 2 === 1 ? 'left' : 'right' });
    level = parentLevel(level, width);
    width = Math.ceil(width / 2);
    position = Math.floor(position / 2);
  }
  return siblings;
}

/** Folds a leaf up its siblings; returns the root it leads to (hex), or null on malformed input. */
export function rootFromProof(leafHex: string, siblings: readonly MerkleSibling[]): string | null {
  if (!isHashHex(leafHex)) return null;
  let current: Buffer = Buffer.from(leafHex, 'hex');
  for (const sibling of siblings) {
    if (!isHashHex(sibling?.hash) || (sibling.side !== 'left' && sibling.side !== 'right')) return null;
    const other = Buffer.from(sibling.hash, 'hex');
    current = sibling.side === 'left' ? hashPair(other, current) : hashPair(current, other);
  }
  return current.toString('hex');
}

/**
 * Checks a proof strictly: the path has exactly the depth of a tree of `leafCount` leaves, each
 * sibling sits on the side the leaf's `index` dictates, a self-paired (odd last) node's sibling
 * is the node itself, and the fold ends at `rootHex`. Returns the problems found (empty: valid).
 */
export function checkMerkleProof(input: {
  leafHex: string;
  index: number;
  leafCount: number;
  siblings: readonly MerkleSibling[];
  rootHex: string;
}): string[] {
  const { leafHex, index, leafCount, siblings, rootHex } = input;
  if (!isHashHex(leafHex)) return ['leaf hash is not 64 lowercase hex characters'];
  if (!isHashHex(rootHex)) return ['merkle_root is not 64 lowercase hex characters'];
  if (!Number.isSafeInteger(leafCount) || leafCount < 1) return [`receipt_count ${String(leafCount)} is not a positive integer`];
  if (!Number.isSafeInteger(index) || index < 0 || index >= leafCount) {
    return [`index ${String(index)} is outside a batch of ${leafCount} receipts`];
  }
  const depth = merkleDepth(leafCount);
  if (siblings.length !== depth) {
    return [`the path has ${siblings.length} siblings; a batch of ${leafCount} receipts needs exactly ${depth}`];
  }
  const problems: string[] = [];
  let current: Buffer = Buffer.from(leafHex, 'hex');
  let position = index;
  let width = leafCount;
  for (let level = 0; level < depth; level += 1) {
    const sibling = siblings[level]!;
    if (!isHashHex(sibling?.hash)) return [`sibling ${level} is not a 64-character lowercase hex hash`];
    const expectedSide: MerkleSide = position % 2 === 0 ? 'right' : 'left';
    if (sibling.side !== expectedSide) {
      problems.push(`sibling ${level} is on the ${String(sibling.side)}; leaf ${index} needs it on the ${expectedSide}`);
    }
    const other = Buffer.from(sibling.hash, 'hex');
    const selfPaired = position % 2 === 0 && position === width - 1;
    if (selfPaired && !other.equals(current)) {
      problems.push(`sibling ${level} must repeat the node itself (the last node of an odd level is paired with itself)`);
    }
    current = expectedSide === 'left' ? hashPair(other, current) : hashPair(current, other);
    position = Math.floor(position / 2);
    width = Math.ceil(width / 2);
  }
  if (problems.length === 0 && current.toString('hex') !== rootHex) {
    problems.push(`the path leads to root ${current.toString('hex')}, not to merkle_root ${rootHex}`);
  }
  return problems;
}
