// Chain backends (SPEC 15): selection, the local backend, and the solana backend's memo
// transaction and JSON-RPC calls against a stub endpoint (no network).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AuditLog } from '../../src/audit/index.js';
import { fromBase58, newId, systemClock, toBase58 } from '../../src/core/index.js';
import { generateSeed, keyPairFromSeed, verifySignature } from '../../src/identity/index.js';
import {
  chainBackendFromEnv,
  compactU16,
  LocalBackend,
  MEMO_PROGRAM_ID,
  Receipts,
  SettlementService,
  SolanaBackend,
  verifyReceiptProof,
} from '../../src/settlement/index.js';
import { migrate, openDatabase, type Db } from '../../src/store/index.js';
import { tempDir } from '../helpers/temp-home.js';

interface RpcCall {
  method: string;
  params: unknown[];
}

/** A stub JSON-RPC endpoint: answers per method, records every call. */
function stubRpc(answers: Record<string, (params: unknown[]) => unknown>): { fetch: typeof fetch; calls: RpcCall[] } {
  const calls: RpcCall[] = [];
  const stub = (async (_url: string | URL | Request, init?: RequestInit) => {
    if (typeof init?.body !== 'string') throw new Error('the backend posts a JSON string body');
    const body = JSON.parse(init.body) as { id: number; method: string; params: unknown[] };
    calls.push({ method: body.method, params: body.params });
    const answer = answers[body.method];
    if (!answer) return new Response(JSON.stringify({ jsonrpc: '2.0', id: body.id, error: { code: -32601, message: 'Method not found' } }));
    try {
      return new Response(JSON.stringify({ jsonrpc: '2.0', id: body.id, result: answer(body.params) }));
    } catch (error) {
      return new Response(JSON.stringify({ jsonrpc: '2.0', id: body.id, error: { code: -32002, message: (error as Error).message } }));
    }
  }) as typeof fetch;
  return { fetch: stub, calls };
}

/** Reads a compact-u16 at `offset`: [value, next offset]. */
function readCompact(bytes: Buffer, offset: number): [number, number] {
  let value = 0;
  for (let shift = 0, i = offset; ; shift += 7, i += 1) {
    const byte = bytes[i]!;
    value |= (byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return [value, i + 1];
  }
}

/** Decodes the one-signer memo transaction the backend builds. */
function decodeMemoTx(wire: Buffer) {
  let [sigCount, offset] = readCompact(wire, 0);
  const signature = wire.subarray(offset, offset + 64);
  offset += 64;
  const message = wire.subarray(offset);
  const header = [...message.subarray(0, 3)];
  let [keyCount, o] = readCompact(message, 3);
  const keys = Array.from({ length: keyCount }, (_, i) => toBase58(message.subarray(o + 32 * i, o + 32 * (i + 1))));
  o += 32 * keyCount;
  const blockhash = toBase58(message.subarray(o, o + 32));
  o += 32;
  let ixCount: number;
  [ixCount, o] = readCompact(message, o);
  const programIndex = message[o]!;
  let accountCount: number;
  [accountCount, o] = readCompact(message, o + 1);
  let dataLength: number;
  [dataLength, o] = readCompact(message, o + accountCount);
  const data = message.subarray(o, o + dataLength).toString('utf8');
  return { sigCount, signature, message, header, keys, blockhash, ixCount, programIndex, accountCount, data, rest: message.length - o - dataLength };
}

describe('compact-u16', () => {
  test('matches the shortvec encoding', () => {
    assert.deepEqual([...compactU16(0)], [0x00]);
    assert.deepEqual([...compactU16(0x7f)], [0x7f]);
    assert.deepEqual([...compactU16(0x80)], [0x80, 0x01]);
    assert.deepEqual([...compactU16(0x3fff)], [0xff, 0x7f]);
    assert.deepEqual([...compactU16(0x4000)], [0x80, 0x80, 0x01]);
    assert.deepEqual([...compactU16(0xffff)], [0xff, 0xff, 0x03]);
    assert.throws(() => compactU16(0x10000), RangeError);
  });
});

describe('backend selection', () => {
  test('local by default; solana when an RPC URL is set or asked for; a bad name is refused', () => {
    assert.equal(chainBackendFromEnv({}).name, 'local');
    assert.equal(chainBackendFromEnv({ COVENANT_SOLANA_RPC_URL: 'http://127.0.0.1:8899' }).name, 'solana');
    assert.equal(chainBackendFromEnv({ COVENANT_CHAIN_BACKEND: 'solana' }).name, 'solana');
    assert.equal(chainBackendFromEnv({ COVENANT_CHAIN_BACKEND: 'local', COVENANT_SOLANA_RPC_URL: 'http://x' }).name, 'local');
    assert.throws(() => chainBackendFromEnv({ COVENANT_CHAIN_BACKEND: 'ethereum' }), /not a chain backend; use local or solana/);
  });

  test('local is always ready and posts nothing', async () => {
    const local = new LocalBackend();
    assert.deepEqual(await local.readiness(), { ready: true, missing: [] });
    assert.deepEqual(await local.post(), { tx_sig: null });
  });
});

describe('solana backend (stub RPC)', () => {
  let dir: string;
  let cleanup: () => void;
  let keypairPath: string;
  const payer = keyPairFromSeed(generateSeed());
  const blockhash = toBase58(Buffer.alloc(32, 7));

  before(() => {
    ({ dir, cleanup } = tempDir('covenant-solana-'));
    keypairPath = join(dir, 'id.json');
    const seed = payer.privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(-32);
    writeFileSync(keypairPath, JSON.stringify([...seed, ...payer.publicKey]), { mode: 0o600 });
  });
  after(() => cleanup());

  test('readiness names what is missing; the keypair is checked; the RPC URL host only', async () => {
    const bare = new SolanaBackend({});
    const report = await bare.readiness();
    assert.equal(report.ready, false);
    assert.equal(report.missing.length, 2);
    assert.match(report.missing[0]!, /COVENANT_SOLANA_RPC_URL/);
    assert.match(report.missing[1]!, /COVENANT_SOLANA_KEYPAIR/);

    const badKey = join(dir, 'bad.json');
    writeFileSync(badKey, JSON.stringify([1, 2, 3]));
    const down = stubRpc({ getHealth: () => { throw new Error('Node is behind by 42 slots'); } });
    const unhealthy = await new SolanaBackend({ rpcUrl: 'https://rpc.example/?api-key=SECRET', keypairPath: badKey, fetch: down.fetch }).readiness();
    assert.equal(unhealthy.ready, false);
    assert.match(unhealthy.missing.join('\n'), /not a Solana keypair/);
    assert.match(unhealthy.missing.join('\n'), /getHealth at rpc\.example failed: Node is behind/);
    assert.doesNotMatch(unhealthy.missing.join('\n'), /SECRET/);

    const up = stubRpc({ getHealth: () => 'ok' });
    assert.deepEqual(await new SolanaBackend({ rpcUrl: 'http://127.0.0.1:8899', keypairPath, fetch: up.fetch }).readiness(), { ready: true, missing: [] });
  });

  test('post signs a memo transaction carrying the batch root and returns its signature', async () => {
    let sent: ReturnType<typeof decodeMemoTx> | null = null;
    const rpc = stubRpc({
      getLatestBlockhash: () => ({ context: { slot: 1 }, value: { blockhash, lastValidBlockHeight: 100 } }),
      sendTransaction: (params) => {
        assert.deepEqual(params[1], { encoding: 'base64', preflightCommitment: 'confirmed' });
        sent = decodeMemoTx(Buffer.from(String(params[0]), 'base64'));
        return toBase58(sent.signature);
      },
    });
    const backend = new SolanaBackend({ rpcUrl: 'http://127.0.0.1:8899', keypairPath, fetch: rpc.fetch });
    const root = 'ab'.repeat(32);
    const result = await backend.post({ batch_id: 'b-1', merkle_root: root, receipt_count: 3, created_at: 1, signature: 'sig' });
    assert.deepEqual(rpc.calls.map((c) => c.method), ['getLatestBlockhash', 'sendTransaction']);
    const tx = sent!;
    assert.equal(tx.sigCount, 1);
    assert.deepEqual(tx.header, [1, 0, 1]);
    assert.deepEqual(tx.keys, [payer.publicKeyB58, MEMO_PROGRAM_ID]);
    assert.equal(tx.blockhash, blockhash);
    assert.deepEqual([tx.ixCount, tx.programIndex, tx.accountCount, tx.rest], [1, 1, 0, 0]);
    assert.equal(tx.data, `covenant:receipt_batch:v1 b-1 ${root}`);
    assert.ok(verifySignature(payer.publicKeyB58, tx.message, tx.signature), 'the fee payer signs the message bytes');
    assert.equal(result.tx_sig, toBase58(tx.signature));
  });

  test('an RPC error is reported without the URL query', async () => {
    const rpc = stubRpc({ getLatestBlockhash: () => { throw new Error('blockhash unavailable'); } });
    const backend = new SolanaBackend({ rpcUrl: 'https://rpc.example/x?api-key=SECRET', keypairPath, fetch: rpc.fetch });
    await assert.rejects(
      backend.post({ batch_id: 'b', merkle_root: 'ab'.repeat(32), receipt_count: 1, created_at: 1, signature: 's' }),
      (error: Error) => /getLatestBlockhash at rpc\.example failed: blockhash unavailable/.test(error.message) && !error.message.includes('SECRET'),
    );
    await assert.rejects(new SolanaBackend({}).post({ batch_id: 'b', merkle_root: 'ab'.repeat(32), receipt_count: 1, created_at: 1, signature: 's' }), /not configured/);
  });

  describe('flushing through the solana backend', () => {
    let db: Db;
    const daemonKeys = keyPairFromSeed(generateSeed());
    const identity = { agentId: { display: 'user@local', pubkey: daemonKeys.publicKeyB58 }, keys: daemonKeys };
    before(() => {
      db = openDatabase(join(dir, 'covenant.db'));
      migrate(db);
      const receipts = new Receipts(db);
      for (let i = 0; i < 3; i += 1) {
        receipts.insert({
          id: newId(),
          payer: identity.agentId.pubkey,
          resource: 'compute',
          status: 'ok',
          credits_consumed: i + 1,
          settled_at: 1000 + i,
          intent_id: null,
          memory_record_id: null,
          failure_reason: null,
        });
      }
    });
    after(() => db.close());

    test('a failed post writes nothing; a good one stores chain solana and the tx signature', async () => {
      const audit = new AuditLog(db, daemonKeys, systemClock);
      const failing = stubRpc({ getLatestBlockhash: () => { throw new Error('rate limited'); } });
      const broken = new SettlementService({ db, audit, clock: systemClock, identity, backend: new SolanaBackend({ rpcUrl: 'http://h', keypairPath, fetch: failing.fetch }) });
      await assert.rejects(broken.flush(identity.agentId), /rate limited/);
      assert.equal((db.prepare('SELECT COUNT(*) AS n FROM receipt_batches').get() as { n: number }).n, 0);
      assert.equal(broken.pendingCount(), 3);

      const rpc = stubRpc({
        getLatestBlockhash: () => ({ value: { blockhash } }),
        sendTransaction: (params) => toBase58(decodeMemoTx(Buffer.from(String(params[0]), 'base64')).signature),
      });
      const service = new SettlementService({ db, audit, clock: systemClock, identity, backend: new SolanaBackend({ rpcUrl: 'http://h', keypairPath, fetch: rpc.fetch }) });
      const result = await service.flush(identity.agentId);
      assert.equal(result.receipts_updated, 3);
      assert.equal(result.batch.chain, 'solana');
      assert.ok(result.batch.tx_sig && fromBase58(result.batch.tx_sig)?.length === 64);
      const stored = service.recent({ limit: 10, visibleTo: null });
      assert.equal(stored.length, 3);
      assert.ok(stored.every((r) => r.chain === 'solana' && r.tx_sig === result.batch.tx_sig));
      const id = (db.prepare('SELECT id FROM receipts LIMIT 1').get() as { id: string }).id;
      const proof = service.prove(id, null);
      assert.equal(proof.receipt.tx_sig, result.batch.tx_sig);
      assert.equal(verifyReceiptProof(proof).valid, true);
    });
  });
});
