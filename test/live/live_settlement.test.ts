// Live tests for settlement receipts and chain gates (SPEC 15): the real covenantd and covenant
// binaries on a temporary COVENANT_HOME, local chain backend. External service: none beyond the
// two binaries and the SQLite file. Receipts come from real tool calls (`tools call echo`).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { liveHome, liveTest, type LiveHome } from './harness.js';

type Row = Record<string, unknown>;

function ok(home: LiveHome, args: string[]): Row {
  const result = home.cli(args);
  assert.equal(result.code, 0, `covenant ${args.join(' ')}: ${result.stdout}${result.stderr}`);
  assert.equal(result.stderr, '');
  assert.equal(result.stdout.trim().split('\n').length, 1, 'exactly one JSON object');
  return result.json!;
}

/** Starts covenantd and makes `count` tool receipts through real echo calls. */
async function withToolReceipts(home: LiveHome, count: number): Promise<void> {
  await home.start();
  ok(home, ['capabilities', 'grant', 'tool.call.echo', '--json']);
  for (let i = 0; i < count; i += 1) ok(home, ['tools', 'call', 'echo', '--args', JSON.stringify({ text: `receipt ${i}` }), '--json']);
}

liveTest('live_receipts_recent_json', async () => {
  const home = liveHome();
  try {
    await withToolReceipts(home, 3);
    const bad = home.cli(['tools', 'call', 'echo', '--args', '{"wrong":1}', '--json']);
    assert.equal(bad.code, 1);
    const all = ok(home, ['receipts', 'recent', '--json']);
    assert.equal(all.kind, 'receipt_list');
    assert.equal(all.limit, 50);
    const receipts = all.receipts as Row[];
    assert.equal(receipts.length, 4);
    assert.ok(receipts.every((r) => r.resource === 'tool' && r.batch_id === null && r.merkle_root === null && r.chain === null && r.tx_sig === null));
    assert.equal(new Set(receipts.map((r) => r.payer)).size, 1, 'one payer: the operator');
    const times = receipts.map((r) => Number(r.settled_at));
    assert.deepEqual(times, [...times].sort((a, b) => b - a), 'newest first');

    const failed = ok(home, ['receipts', 'recent', '--json', '--status', 'failed', '--resource', 'tool', '-n', '5']);
    assert.deepEqual(failed.filters, { since_ms: null, resource: 'tool', status: 'failed', intent_id: null });
    assert.deepEqual((failed.receipts as Row[]).map((r) => [r.credits_consumed, r.failure_reason]), [[0, 'invalid_arguments']]);
    assert.equal((ok(home, ['receipts', 'recent', '--json', '-n', '2']).receipts as Row[]).length, 2);
    assert.equal((ok(home, ['receipts', 'recent', '--json', '--resource', 'compute']).receipts as Row[]).length, 0);

    const usage = home.cli(['receipts', 'recent', '--json', '--status', 'maybe']);
    assert.equal(usage.code, 2);
    assert.equal(usage.stdout, '');
  } finally {
    await home.dispose();
  }
});

liveTest('live_chain_status_json', async () => {
  const home = liveHome();
  try {
    await withToolReceipts(home, 2);
    const json = ok(home, ['chain', 'status', '--json']);
    assert.equal(json.kind, 'chain_status');
    assert.deepEqual(json.status, { backend: 'local', ready: true, missing: [], pending_receipts: 2, last_batch: null });
    const human = home.cli(['chain', 'status']);
    assert.equal(human.code, 0);
    assert.match(human.stdout, /backend local: ready/);
  } finally {
    await home.dispose();
  }
});

liveTest('live_chain_flush_receipts_json', async () => {
  const home = liveHome();
  try {
    await withToolReceipts(home, 3);
    const refused = home.cli(['chain', 'flush-receipts', '--json']);
    assert.equal(refused.code, 1);
    assert.equal(refused.json!.code, 'E_CAPABILITY_MISSING');
    ok(home, ['capabilities', 'grant', 'chain.flush', '--json']);

    const first = ok(home, ['chain', 'flush-receipts', '--json', '-n', '2']);
    assert.equal(first.kind, 'receipt_batch_flushed');
    assert.equal(first.receipts_updated, 2);
    const batch = first.batch as Row;
    assert.equal(batch.receipt_count, 2);
    assert.match(String(batch.merkle_root), /^[0-9a-f]{64}$/);
    assert.equal(batch.tx_sig, null);
    const rest = ok(home, ['chain', 'flush-receipts', '--json']);
    assert.equal(rest.receipts_updated, 1);

    const none = home.cli(['chain', 'flush-receipts', '--json']);
    assert.equal(none.code, 1);
    assert.equal(none.json!.code, 'E_NOT_FOUND');
    assert.match(String(none.json!.message), /nothing to flush/);

    const receipts = ok(home, ['receipts', 'recent', '--json']).receipts as Row[];
    assert.ok(receipts.every((r) => r.chain === 'local' && typeof r.batch_id === 'string'));
    const status = ok(home, ['chain', 'status', '--json']).status as Row;
    assert.equal(status.pending_receipts, 0);
    const flushedRows = (ok(home, ['audit', 'recent', '--json', '--kind', 'receipt_batch_flushed']).events as Row[]).length;
    assert.equal(flushedRows, 2);
  } finally {
    await home.dispose();
  }
});

liveTest('live_chain_receipt_batches_json', async () => {
  const home = liveHome();
  try {
    await withToolReceipts(home, 2);
    assert.deepEqual(ok(home, ['chain', 'receipt-batches', '--json']).batches, []);
    ok(home, ['capabilities', 'grant', 'chain.flush', '--json']);
    const a = ok(home, ['chain', 'flush-receipts', '--json', '-n', '1']).batch as Row;
    const b = ok(home, ['chain', 'flush-receipts', '--json']).batch as Row;
    const list = ok(home, ['chain', 'receipt-batches', '--json']);
    assert.equal(list.kind, 'receipt_batch_list');
    const batches = list.batches as Row[];
    assert.deepEqual(batches.map((x) => x.batch_id), [b.batch_id, a.batch_id], 'newest first');
    assert.ok(batches.every((x) => x.chain === 'local' && x.tx_sig === null && typeof x.signature === 'string'));
    assert.equal((ok(home, ['chain', 'receipt-batches', '--json', '-n', '1']).batches as Row[]).length, 1);
  } finally {
    await home.dispose();
  }
});

liveTest('live_receipt_proof_round_trip', async () => {
  const home = liveHome();
  try {
    await withToolReceipts(home, 5);
    ok(home, ['capabilities', 'grant', 'chain.flush', '--json']);
    ok(home, ['chain', 'flush-receipts', '--json']);
    const receipts = ok(home, ['receipts', 'recent', '--json']).receipts as Row[];
    const target = receipts[2]!;
    const file = join(home.home, '..', 'proof.json');
    const proved = ok(home, ['receipts', 'prove', String(target.id), '--out', file, '--json']);
    assert.equal(proved.kind, 'receipt_proof');
    const daemonPubkey = (proved.proof as Row).daemon_pubkey as string;

    // The daemon is stopped: verify-proof needs neither it nor a token.
    await home.daemon!.stop();
    home.daemon = null;
    const verified = ok(home, ['receipts', 'verify-proof', file, '--json', '--daemon-pubkey', daemonPubkey]);
    assert.deepEqual(verified, {
      kind: 'receipt_proof_verified',
      valid: true,
      receipt_id: target.id,
      merkle_root: (proved.proof as Row).merkle_root,
      failures: [],
    });

    const document = JSON.parse(readFileSync(file, 'utf8')) as { proof: { receipt: Row } };
    document.proof.receipt.credits_consumed = 1000;
    const edited = join(home.home, '..', 'edited.json');
    writeFileSync(edited, JSON.stringify(document));
    const invalid = home.cli(['receipts', 'verify-proof', edited, '--json']);
    assert.equal(invalid.code, 1);
    assert.equal(invalid.json!.valid, false);
    assert.ok((invalid.json!.failures as Array<{ check: string }>).some((f) => f.check === 'leaf_hash'));

    writeFileSync(edited, 'not json');
    const malformed = home.cli(['receipts', 'verify-proof', edited, '--json']);
    assert.equal(malformed.code, 1);
    assert.equal(malformed.json!.code, 'E_BAD_REQUEST');
  } finally {
    await home.dispose();
  }
});
