// `tokens_used` on receipts (migration 013, docs/settlement.md "Hashing"): covered by the leaf
// when set, absent from it when null, so receipts batched before the field keep their leaves.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { newId } from '../../src/core/index.js';
import type { ReceiptProof } from '../../src/protocol/index.js';
import { Receipts, receiptLeafHash, verifyReceiptProof } from '../../src/settlement/index.js';
import { DaemonFixture } from '../helpers/daemon-fixture.js';

const base = {
  id: 'r-1', payer: 'p', resource: 'compute' as const, status: 'ok' as const, credits_consumed: 1, settled_at: 1_700_000_000_000,
  intent_id: 'i-1', memory_record_id: null, failure_reason: null,
};

test('a receipt without tokens hashes as before the field existed; tokens change the leaf', () => {
  const before013 = receiptLeafHash(base).toString('hex');
  assert.equal(receiptLeafHash({ ...base, tokens_used: null }).toString('hex'), before013);
  assert.notEqual(receiptLeafHash({ ...base, tokens_used: 12 }).toString('hex'), before013);
  assert.notEqual(receiptLeafHash({ ...base, tokens_used: 12 }).toString('hex'), receiptLeafHash({ ...base, tokens_used: 13 }).toString('hex'));
});

describe('a model call receipt with its tokens is batched, proved and verified', () => {
  let t: DaemonFixture;
  before(async () => {
    t = await DaemonFixture.start();
  });
  after(async () => {
    await t.stop();
  });

  test('proof of a receipt with tokens_used verifies; altered tokens fail the leaf', async () => {
    const op = await t.session();
    const id = newId();
    new Receipts(t.daemon.ctx.db).insert({ ...base, id, payer: t.daemon.ctx.identity.agentId.pubkey, settled_at: Date.now(), tokens_used: 42 });
    new Receipts(t.daemon.ctx.db).insert({ ...base, id: newId(), payer: t.daemon.ctx.identity.agentId.pubkey, settled_at: Date.now() });
    await op.request({ kind: 'capabilities_grant', action: 'chain.flush' });
    const flushed = await op.request({ kind: 'chain_flush' });
    assert.equal(flushed.kind, 'receipt_batch_flushed', JSON.stringify(flushed));
    const listed = await op.request({ kind: 'receipts_recent' });
    assert.deepEqual((listed.receipts as Array<{ tokens_used: unknown }>).map((r) => r.tokens_used).sort(), [42, null]);
    const reply = await op.request({ kind: 'receipts_prove', receipt_id: id });
    const proof = reply.proof as ReceiptProof;
    assert.equal(proof.receipt.tokens_used, 42);
    assert.equal(verifyReceiptProof(proof).valid, true, JSON.stringify(verifyReceiptProof(proof).failures));
    const altered = JSON.parse(JSON.stringify(proof)) as ReceiptProof;
    altered.receipt.tokens_used = 1;
    assert.deepEqual(verifyReceiptProof(altered).failures.map((f) => f.check), ['leaf_hash', 'path']);
  });
});
