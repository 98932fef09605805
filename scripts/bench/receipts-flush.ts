import { join } from 'node:path';
import { AuditLog } from '../../src/audit/index.js';
import { newId, systemClock } from '../../src/core/index.js';
import { generateSeed, keyPairFromSeed } from '../../src/identity/index.js';
import { LocalBackend, merkleRootOfBlob, receiptLeafHash, Receipts, SettlementService } from '../../src/settlement/index.js';
import { migrate, openDatabase } from '../../src/store/index.js';
import { latencyRatio, msSince, percentile, type Ratio } from './stats.js';

/** One database, as the daemon has, and the flush's service over it. */
function openStore(path: string) {
  const db = openDatabase(path);
  migrate(db);
  const keys = keyPairFromSeed(generateSeed());
  const identity = { agentId: { display: 'user@local', pubkey: keys.publicKeyB58 }, keys };
  const service = new SettlementService({ db, audit: new AuditLog(db, keys, systemClock), clock: systemClock, identity, backend: new LocalBackend() });
  return { db, identity, service, receipts: new Receipts(db) };
}

/** `count` new unbatched receipts (one transaction); their leaf hashes back to back, in seq order. */
function addReceipts(store: ReturnType<typeof openStore>, count: number): Buffer {
  const { db, identity, receipts } = store;
  const t0 = Date.now();
  const ids: string[] = [];
  db.transaction(() => {
    for (let i = 0; i < count; i += 1) {
      const id = newId();
      ids.push(id);
      receipts.insert({
        id,
        payer: identity.agentId.pubkey,
        resource: i % 3 === 0 ? 'compute' : 'tool',
        status: i % 17 === 0 ? 'failed' : 'ok',
        credits_consumed: 1 + (i % 5),
        settled_at: t0 + i,
        intent_id: i % 3 === 0 ? newId() : null,
        memory_record_id: null,
        failure_reason: i % 17 === 0 ? 'timeout' : null,
      });
    }
  })();
  const byId = db.prepare('SELECT * FROM receipts WHERE id = ?');
  return Buffer.concat(ids.map((id) => receiptLeafHash(byId.get(id) as Record<string, unknown>)));
}

/**
 * One `chain flush-receipts` of 10,000 receipts on the local backend — read the leaf hashes
 * stored at insert (RFC 8785 + SHA-256, migration 018), build the tree, sign, and in one fsynced transaction
 * store the batch (its seq range and its leaves as one blob) and append the audit row — against
 * the floor: the bare Merkle root over the same 10,000 leaf hashes, by the same tree code on the
 * same kind of buffer (the leaves back to back). One database for every trial, as the daemon
 * has one (its statements prepared once); each trial adds 10,000 receipts and times one root
 * then one flush of them. `warmup` untimed trials run both first, so neither side's code is
 * cold. The median of `trials` is reported.
 */
export async function benchReceiptsFlush(dir: string, count = 10_000, trials = 7, warmup = 2): Promise<Ratio> {
  const flushTimes: number[] = [];
  const rootTimes: number[] = [];
  const store = openStore(join(dir, 'bench-receipts.db'));
  try {
    for (let trial = 0; trial < warmup + trials; trial += 1) {
      const leaves = addReceipts(store, count);
      let start = process.hrtime.bigint();
      const root = merkleRootOfBlob(leaves);
      const rootMs = msSince(start);
      start = process.hrtime.bigint();
      const result = await store.service.flush(store.identity.agentId);
      const flushMs = msSince(start);
      if (result.receipts_updated !== count || result.batch.merkle_root !== root.toString('hex')) {
        throw new Error('the flush did not batch every receipt under the expected root');
      }
      if (trial >= warmup) {
        rootTimes.push(rootMs);
        flushTimes.push(flushMs);
      }
    }
  } finally {
    store.db.close();
  }
  return latencyRatio(
    {
      name: `receipt flush of ${count} receipts (latency, median of ${trials})`,
      subject: 'chain flush on the local backend: stored leaf hashes, tree, sign, one transaction (batch row with range + leaf blob, audit row)',
      baseline: `bare Merkle root over the same ${count} leaf hashes (same tree code, leaves back to back)`,
    },
    percentile(flushTimes, 50),
    percentile(rootTimes, 50),
    4,
  );
}
