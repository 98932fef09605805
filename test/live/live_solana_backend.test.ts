// Live test for the solana chain backend (SPEC 15). External service: a Solana JSON-RPC endpoint
// (COVENANT_SOLANA_RPC_URL, e.g. a local `solana-test-validator` at http://127.0.0.1:8899) and a
// funded Solana CLI keypair file (COVENANT_SOLANA_KEYPAIR). Skips without the endpoint unless
// COVENANT_LIVE_REQUIRE lists settlement-receipts.
import assert from 'node:assert/strict';
import { liveHome, liveTest, requireService } from './harness.js';

type Row = Record<string, unknown>;

async function rpc(url: string, method: string, params: unknown[]): Promise<unknown> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = (await response.json()) as { result?: unknown; error?: { message?: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

liveTest(
  'live_solana_backend_posts_batch_root',
  async (t) => {
    if (!requireService(t, 'settlement-receipts', Boolean(process.env.COVENANT_SOLANA_RPC_URL), 'Solana RPC endpoint (COVENANT_SOLANA_RPC_URL)')) return;
    const rpcUrl = process.env.COVENANT_SOLANA_RPC_URL!;
    assert.ok(process.env.COVENANT_SOLANA_KEYPAIR, 'set COVENANT_SOLANA_KEYPAIR to a funded Solana CLI keypair file');
    const home = liveHome();
    try {
      home.env.COVENANT_SOLANA_RPC_URL = rpcUrl;
      home.env.COVENANT_SOLANA_KEYPAIR = process.env.COVENANT_SOLANA_KEYPAIR;
      await home.start();
      const status = home.cli(['chain', 'status', '--json']).json!.status as Row;
      assert.equal(status.backend, 'solana');
      assert.deepEqual(status.missing, []);
      assert.equal(status.ready, true);

      assert.equal(home.cli(['capabilities', 'grant', 'tool.call.echo', '--json']).code, 0);
      assert.equal(home.cli(['capabilities', 'grant', 'chain.flush', '--json']).code, 0);
      assert.equal(home.cli(['tools', 'call', 'echo', '--args', '{"text":"anchor me"}', '--json']).code, 0);
      const flushed = home.cli(['chain', 'flush-receipts', '--json']);
      assert.equal(flushed.code, 0, flushed.stdout + flushed.stderr);
      const batch = flushed.json!.batch as Row;
      assert.equal(typeof batch.tx_sig, 'string');

      // The memo transaction lands and carries the batch root.
      const deadline = Date.now() + 60_000;
      let tx: unknown = null;
      while (tx === null && Date.now() < deadline) {
        tx = await rpc(rpcUrl, 'getTransaction', [batch.tx_sig, { commitment: 'confirmed', encoding: 'json', maxSupportedTransactionVersion: 0 }]);
        if (tx === null) await new Promise((r) => setTimeout(r, 1000));
      }
      assert.ok(tx, `transaction ${String(batch.tx_sig)} was not confirmed within 60 s`);
      assert.ok(JSON.stringify(tx).includes(String(batch.merkle_root)), 'the memo log carries the merkle root');
      const batches = home.cli(['chain', 'receipt-batches', '--json']).json!.batches as Row[];
      assert.deepEqual([batches[0]!.chain, batches[0]!.tx_sig], ['solana', batch.tx_sig]);
    } finally {
      await home.dispose();
    }
  },
  { timeout: 180_000 },
);
