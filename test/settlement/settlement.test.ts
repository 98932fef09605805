// Settlement receipts and chain gates (SPEC 15) against the in-process daemon: tool receipts,
// visibility, filters, status, flush, batch listing, proofs and tampered proofs.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { newId } from '../../src/core/index.js';
import type { IpcClient, WireMessage } from '../../src/ipc/index.js';
import {
  merkleRoot,
  Receipts,
  receiptLeafHash,
  verifyBatchSignature,
  verifyReceiptProof,
} from '../../src/settlement/index.js';
import type { ReceiptProof } from '../../src/protocol/index.js';
import { runCli, runCliAsync } from '../helpers/binaries.js';
import { DaemonFixture } from '../helpers/daemon-fixture.js';
import { tempDir } from '../helpers/temp-home.js';

type Row = Record<string, unknown>;

async function ask(client: IpcClient, request: WireMessage): Promise<WireMessage> {
  const reply = await client.request(request);
  assert.notEqual(reply.kind, 'error', `${String(request.kind)} failed: ${JSON.stringify(reply)}`);
  return reply;
}

describe('settlement receipts and chain gates (in-process daemon)', () => {
  let t: DaemonFixture;
  let op: IpcClient;
  let bob: IpcClient;
  let bobPubkey: string;
  let operatorPubkey: string;
  const db = () => t.daemon.ctx.db;
  const rows = (sql: string, ...args: unknown[]) => db().prepare(sql).all(...args) as Row[];

  before(async () => {
    t = await DaemonFixture.start();
    op = await t.session();
    operatorPubkey = t.daemon.ctx.identity.agentId.pubkey;
    const added = await ask(op, { kind: 'peers_add', name: 'bob' });
    bobPubkey = (added.agent_id as { pubkey: string }).pubkey;
    bob = await t.session(String(added.token_b58));
    await ask(op, { kind: 'capabilities_grant', action: 'tool.call.echo' });
    for (const action of ['tool.call.echo', 'chain.receipts', 'chain.batches', 'chain.flush']) {
      await ask(op, { kind: 'capabilities_grant', action, to: 'bob@peer' });
    }
  });
  after(async () => {
    await t.stop();
  });

  test('flush with no receipts answers E_NOT_FOUND and writes no batch', async () => {
    const refused = await op.request({ kind: 'chain_flush' });
    assert.equal(refused.code, 'E_CAPABILITY_MISSING', 'the operator needs chain.flush too');
    assert.match(String(refused.message), /covenant capabilities grant chain\.flush/);
    await ask(op, { kind: 'capabilities_grant', action: 'chain.flush' });
    const none = await op.request({ kind: 'chain_flush' });
    assert.equal(none.kind, 'error');
    assert.equal(none.code, 'E_NOT_FOUND');
    assert.match(String(none.message), /no unbatched receipts; nothing to flush/);
    assert.equal(rows('SELECT * FROM receipt_batches').length, 0);
    assert.equal(rows('SELECT * FROM receipt_batch_leaves').length, 0);
    assert.ok(!t.auditKinds().includes('receipt_batch_flushed'));
  });

  test('a tool call writes a tool receipt (payer = caller) in the transaction of its audit row', async () => {
    await ask(op, { kind: 'tools_call', name: 'echo', arguments: { text: 'one' } });
    const invalid = await op.request({ kind: 'tools_call', name: 'echo', arguments: { nope: 1 } });
    assert.equal(invalid.code, 'E_BAD_REQUEST');
    await ask(bob, { kind: 'tools_call', name: 'echo', arguments: { text: 'bob' } });
    const receipts = rows("SELECT * FROM receipts WHERE resource = 'tool' ORDER BY settled_at, rowid");
    assert.equal(receipts.length, 3);
    assert.deepEqual(
      receipts.map((r) => [r.payer, r.status, r.credits_consumed, r.failure_reason, r.batch_id]),
      [
        [operatorPubkey, 'ok', 1, null, null],
        [operatorPubkey, 'failed', 0, 'invalid_arguments', null],
        [bobPubkey, 'ok', 1, null, null],
      ],
    );
    const audited = rows("SELECT payload FROM audit_events WHERE kind = 'tool_call_completed' ORDER BY seq").map(
      (r) => JSON.parse(String(r.payload)) as Row,
    );
    assert.deepEqual(audited.map((p) => p.receipt_id), receipts.map((r) => r.id));
  });

  test('receipts_recent: own receipts only; the operator sees all; newest first', async () => {
    const mine = await ask(bob, { kind: 'receipts_recent' });
    assert.equal(mine.kind, 'receipt_list');
    assert.equal(mine.limit, 50);
    assert.deepEqual(mine.filters, { since_ms: null, resource: null, status: null, intent_id: null });
    const bobs = mine.receipts as Row[];
    assert.equal(bobs.length, 1);
    assert.equal(bobs[0]!.payer, bobPubkey);
    for (const field of ['batch_id', 'merkle_root', 'chain', 'tx_sig']) assert.equal(bobs[0]![field], null);
    const all = (await ask(op, { kind: 'receipts_recent' })).receipts as Row[];
    assert.equal(all.length, 3);
    const times = all.map((r) => Number(r.settled_at));
    assert.deepEqual(times, [...times].sort((a, b) => b - a));
  });

  test('receipts_recent filters: resource, status, intent, since_ms, limit', async () => {
    const repo = new Receipts(db());
    const base = Date.now() + 1000;
    const intentId = newId();
    const insert = (over: Row) =>
      repo.insert({
        id: newId(),
        payer: operatorPubkey,
        resource: 'compute',
        status: 'ok',
        credits_consumed: 2,
        settled_at: base,
        intent_id: null,
        memory_record_id: null,
        failure_reason: null,
        ...over,
      });
    insert({ intent_id: intentId, settled_at: base });
    insert({ intent_id: intentId, resource: 'memory', memory_record_id: intentId, credits_consumed: 0, settled_at: base + 1 });
    insert({ status: 'failed', failure_reason: 'timeout', settled_at: base + 2 });
    const recent = async (params: Row) => (await ask(op, { kind: 'receipts_recent', ...params })).receipts as Row[];
    assert.equal((await recent({ resource: 'compute' })).length, 2);
    assert.equal((await recent({ resource: 'tool' })).length, 3);
    assert.deepEqual((await recent({ status: 'failed' })).map((r) => r.failure_reason).sort(), ['invalid_arguments', 'timeout']);
    assert.deepEqual((await recent({ intent_id: intentId })).map((r) => r.resource), ['memory', 'compute']);
    assert.equal((await recent({ since_ms: base + 1 })).length, 2);
    assert.equal((await recent({ since_ms: base + 1, resource: 'memory' })).length, 1);
    assert.equal((await recent({ limit: 2 })).length, 2);
    const filtered = await ask(op, { kind: 'receipts_recent', status: 'ok', resource: 'tool', limit: 5 });
    assert.deepEqual(filtered.filters, { since_ms: null, resource: 'tool', status: 'ok', intent_id: null });
    assert.equal(filtered.limit, 5);
    // Bob's filters apply on top of his visibility.
    assert.equal(((await ask(bob, { kind: 'receipts_recent', resource: 'compute' })).receipts as Row[]).length, 0);
    const bad = await op.request({ kind: 'receipts_recent', resource: 'gold' });
    assert.equal(bad.code, 'E_BAD_REQUEST');
  });

  test('chain_status: local backend, ready, pending receipts, no batch yet', async () => {
    const reply = await ask(bob, { kind: 'chain_status' });
    assert.deepEqual(reply.status, { backend: 'local', ready: true, missing: [], pending_receipts: 6, last_batch: null });
  });

  test('only the operator flushes, even holding chain.flush', async () => {
    const refused = await bob.request({ kind: 'chain_flush' });
    assert.equal(refused.code, 'E_FORBIDDEN');
    assert.equal(rows('SELECT * FROM receipt_batches').length, 0);
  });

  let firstBatch: Row;
  test('chain_flush batches the oldest receipts, signs the root and stores the batch in one transaction', async () => {
    const oldest = rows('SELECT * FROM receipts WHERE batch_id IS NULL ORDER BY seq LIMIT 4');
    const reply = await ask(op, { kind: 'chain_flush', limit: 4 });
    assert.equal(reply.kind, 'receipt_batch_flushed');
    assert.equal(reply.receipts_updated, 4);
    const batch = reply.batch as Row;
    assert.deepEqual(Object.keys(batch).sort(), ['batch_id', 'merkle_root', 'receipt_count', 'signature', 'tx_sig']);
    assert.equal(batch.receipt_count, 4);
    assert.equal(batch.tx_sig, null);
    assert.equal(batch.merkle_root, merkleRoot(oldest.map((r) => receiptLeafHash(r))).toString('hex'));
    const stored = rows('SELECT * FROM receipt_batches')[0]!;
    assert.equal(stored.chain, 'local');
    assert.equal(stored.signer, operatorPubkey);
    assert.ok(
      verifyBatchSignature(
        operatorPubkey,
        { batch_id: String(batch.batch_id), merkle_root: String(batch.merkle_root), receipt_count: 4, created_at: Number(stored.created_at) },
        String(batch.signature),
      ),
    );
    // The batch holds a seq range and its leaves as one blob; no receipt row is written.
    assert.deepEqual([stored.first_seq, stored.last_seq], [oldest[0]!.seq, oldest[3]!.seq]);
    assert.deepEqual(stored.leaves, Buffer.concat(oldest.map((r) => receiptLeafHash(r))));
    assert.equal(rows('SELECT * FROM receipts WHERE batch_id IS NOT NULL').length, 0);
    // What a caller sees: the four receipts carry the batch's fields, the others none.
    const listed = (await ask(op, { kind: 'receipts_recent', limit: 1000 })).receipts as Row[];
    const updated = listed.filter((r) => r.batch_id === batch.batch_id);
    assert.deepEqual(updated.map((r) => r.id).sort(), oldest.map((r) => r.id).sort());
    for (const r of updated) assert.deepEqual([r.merkle_root, r.chain, r.tx_sig], [batch.merkle_root, 'local', null]);
    for (const r of listed.filter((r) => r.batch_id !== batch.batch_id)) assert.deepEqual([r.batch_id, r.merkle_root, r.chain, r.tx_sig], [null, null, null, null]);
    const flushed = rows("SELECT payload, issuer_pubkey FROM audit_events WHERE kind = 'receipt_batch_flushed'");
    assert.equal(flushed.length, 1);
    assert.deepEqual(JSON.parse(String(flushed[0]!.payload)), {
      batch_id: batch.batch_id,
      merkle_root: batch.merkle_root,
      receipt_count: 4,
      chain: 'local',
      tx_sig: null,
    });
    firstBatch = batch;
  });

  test('a second flush takes the rest; status and batch listing follow', async () => {
    const reply = await ask(op, { kind: 'chain_flush' });
    assert.equal(reply.receipts_updated, 2);
    const second = reply.batch as Row;
    const status = (await ask(op, { kind: 'chain_status' })).status as Row;
    assert.equal(status.pending_receipts, 0);
    assert.equal((status.last_batch as Row).batch_id, second.batch_id);
    const list = await ask(bob, { kind: 'chain_batches' });
    assert.equal(list.kind, 'receipt_batch_list');
    const batches = list.batches as Row[];
    assert.deepEqual(batches.map((b) => b.batch_id), [second.batch_id, firstBatch.batch_id], 'newest first');
    assert.deepEqual(Object.keys(batches[0]!).sort(), ['batch_id', 'chain', 'created_at', 'merkle_root', 'receipt_count', 'signature', 'tx_sig']);
    assert.equal(((await ask(op, { kind: 'chain_batches', limit: 1 })).batches as Row[]).length, 1);
    const again = await op.request({ kind: 'chain_flush' });
    assert.equal(again.code, 'E_NOT_FOUND');
    assert.equal(rows('SELECT * FROM receipt_batches').length, 2);
  });

  let proofFile: string;
  let proof: ReceiptProof;
  let cleanupDir: () => void;
  test('receipts_prove: a proof of every batched receipt verifies offline', async () => {
    for (const receipt of rows('SELECT id FROM receipts')) {
      const reply = await ask(op, { kind: 'receipts_prove', receipt_id: receipt.id });
      assert.equal(reply.kind, 'receipt_proof');
      const p = reply.proof as ReceiptProof;
      assert.equal(p.daemon_pubkey, operatorPubkey);
      assert.equal(p.receipt.id, receipt.id);
      const verdict = verifyReceiptProof(p, { expectedPubkey: operatorPubkey });
      assert.deepEqual(verdict, { valid: true, receipt_id: receipt.id, merkle_root: p.merkle_root, failures: [] });
    }
    const bobsReceipt = rows('SELECT id FROM receipts WHERE payer = ?', bobPubkey)[0]!;
    proof = (await ask(bob, { kind: 'receipts_prove', receipt_id: bobsReceipt.id })).proof as ReceiptProof;
    assert.equal(proof.batch.batch_id, firstBatch.batch_id);
    const { dir, cleanup } = tempDir('covenant-proof-');
    cleanupDir = cleanup;
    proofFile = join(dir, 'proof.json');
    writeFileSync(proofFile, JSON.stringify({ kind: 'receipt_proof', proof }, null, 2));
  });

  test("receipts_prove: someone else's receipt is not found; an unbatched one says flush first", async () => {
    const opsReceipt = rows('SELECT id FROM receipts WHERE payer = ?', operatorPubkey)[0]!;
    const hidden = await bob.request({ kind: 'receipts_prove', receipt_id: opsReceipt.id });
    assert.equal(hidden.code, 'E_NOT_FOUND');
    const missing = await bob.request({ kind: 'receipts_prove', receipt_id: newId() });
    assert.equal(missing.code, 'E_NOT_FOUND');
    assert.equal(String(hidden.message).replace(String(opsReceipt.id), 'X'), String(missing.message).replace(/[0-9a-f-]{36}/, 'X'));
    await ask(bob, { kind: 'tools_call', name: 'echo', arguments: { text: 'later' } });
    const fresh = (await ask(bob, { kind: 'receipts_recent', limit: 1 })).receipts as Row[];
    const unbatched = await bob.request({ kind: 'receipts_prove', receipt_id: fresh[0]!.id });
    assert.equal(unbatched.code, 'E_NOT_FOUND');
    assert.match(String(unbatched.message), /flush first/);
  });

  test('a tampered proof fails: credits, a sibling hash, the root, the signature', () => {
    const clone = () => JSON.parse(JSON.stringify(proof)) as ReceiptProof;
    const checks = (p: ReceiptProof) => verifyReceiptProof(p).failures.map((f) => f.check);

    const credits = clone();
    credits.receipt.credits_consumed = Number(credits.receipt.credits_consumed) + 100;
    assert.deepEqual(checks(credits), ['leaf_hash', 'path']);

    const sibling = clone();
    assert.ok(sibling.siblings.length > 0);
    sibling.siblings[0]!.hash = sibling.siblings[0]!.hash.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    assert.deepEqual(checks(sibling), ['path']);

    const root = clone();
    root.merkle_root = root.merkle_root.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    assert.ok(checks(root).includes('path'));
    assert.ok(checks(root).includes('signature'));

    const signature = clone();
    const other = (signature.batch.signature[5] === 'A' ? 'B' : 'A');
    signature.batch.signature = `${signature.batch.signature.slice(0, 5)}${other}${signature.batch.signature.slice(6)}`;
    assert.deepEqual(checks(signature), ['signature']);

    const count = clone();
    count.batch.receipt_count += 1;
    assert.ok(checks(count).includes('signature'));

    const pinned = verifyReceiptProof(clone(), { expectedPubkey: bobPubkey });
    assert.deepEqual(pinned.failures.map((f) => f.check), ['daemon_pubkey']);
  });

  test('covenant receipts verify-proof runs offline (no daemon, no token) and exits 1 on a tampered file', async () => {
    // A home with no daemon and no token: the command must not need either.
    const { dir, cleanup } = tempDir('covenant-offline-');
    try {
      const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir, COVENANT_HOME: join(dir, 'nowhere') };
      const good = runCli(['receipts', 'verify-proof', proofFile, '--json'], env);
      assert.equal(good.code, 0, good.stdout + good.stderr);
      assert.equal(good.stderr, '');
      assert.deepEqual(good.json, { kind: 'receipt_proof_verified', valid: true, receipt_id: proof.receipt.id, merkle_root: proof.merkle_root, failures: [] });
      const human = runCli(['receipts', 'verify-proof', proofFile, '--daemon-pubkey', operatorPubkey], env);
      assert.equal(human.code, 0);
      assert.match(human.stdout, /proof valid/);

      const edited = JSON.parse(readFileSync(proofFile, 'utf8')) as { proof: ReceiptProof };
      edited.proof.receipt.credits_consumed = 999;
      const editedFile = join(dir, 'edited.json');
      writeFileSync(editedFile, JSON.stringify(edited));
      const bad = runCli(['receipts', 'verify-proof', editedFile, '--json'], env);
      assert.equal(bad.code, 1);
      assert.equal(bad.json!.kind, 'receipt_proof_verified');
      assert.equal(bad.json!.valid, false);
      assert.match(JSON.stringify(bad.json!.failures), /leaf_hash/);

      const malformedFile = join(dir, 'malformed.json');
      writeFileSync(malformedFile, '{"kind":"receipt_proof","proof":{"receipt":{}}');
      const malformed = runCli(['receipts', 'verify-proof', malformedFile, '--json'], env);
      assert.equal(malformed.code, 1);
      assert.equal(malformed.json!.code, 'E_BAD_REQUEST');
      writeFileSync(malformedFile, '{"kind":"receipt_proof","proof":{"receipt":{"id":"x"}}}');
      const incomplete = runCli(['receipts', 'verify-proof', malformedFile, '--json'], env);
      assert.equal(incomplete.code, 1);
      assert.equal(incomplete.json!.code, 'E_BAD_REQUEST');
      const absent = runCli(['receipts', 'verify-proof', join(dir, 'absent.json'), '--json'], env);
      assert.equal(absent.code, 1);
      assert.equal(absent.json!.code, 'E_NOT_FOUND');
    } finally {
      cleanup();
      cleanupDir();
    }
  });

  test('covenant receipts prove --out and the other commands over the socket', async () => {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: t.home, COVENANT_HOME: t.home };
    const receiptId = String(proof.receipt.id);
    const { dir, cleanup } = tempDir('covenant-prove-out-');
    try {
      const out = join(dir, 'p.json');
      const proved = await runCliAsync(['receipts', 'prove', receiptId, '--out', out, '--json'], env);
      assert.equal(proved.code, 0, proved.stdout + proved.stderr);
      assert.equal(proved.json!.kind, 'receipt_proof');
      assert.equal(proved.json!.out, out);
      const written = JSON.parse(readFileSync(out, 'utf8')) as { kind: string; proof: ReceiptProof };
      assert.equal(written.kind, 'receipt_proof');
      assert.equal(verifyReceiptProof(written.proof).valid, true);
      const recent = await runCliAsync(['receipts', 'recent', '--json', '-n', '3', '--resource', 'tool', '--status', 'ok'], env);
      assert.equal(recent.code, 0, recent.stdout + recent.stderr);
      assert.equal(recent.json!.kind, 'receipt_list');
      assert.equal((await runCliAsync(['receipts', 'recent', '--resource', 'gold'], env)).code, 2);
      assert.equal((await runCliAsync(['receipts', 'recent', '-n', '0'], env)).code, 2);
      const status = await runCliAsync(['chain', 'status', '--json'], env);
      assert.equal(status.json!.kind, 'chain_status');
      const batches = await runCliAsync(['chain', 'receipt-batches', '--json', '-n', '1'], env);
      assert.equal((batches.json!.batches as Row[]).length, 1);
      const flushed = await runCliAsync(['chain', 'flush-receipts', '--json'], env);
      assert.equal(flushed.code, 0, flushed.stdout);
      assert.equal(flushed.json!.kind, 'receipt_batch_flushed');
      const none = await runCliAsync(['chain', 'flush-receipts', '--json'], env);
      assert.equal(none.code, 1);
      assert.equal(none.json!.code, 'E_NOT_FOUND');
    } finally {
      cleanup();
    }
  });
});
