import { join } from 'node:path';
import { AuditLog } from '../../src/audit/index.js';
import { newId, systemClock } from '../../src/core/index.js';
import { generateSeed, keyPairFromSeed } from '../../src/identity/index.js';
import { LocalBackend, merkleRoot, receiptLeafHash, Receipts, SettlementService } from '../../src/settlement/index.js';
import { migrate, openDatabase } from '../../src/store/index.js';
import { latencyRatio, msSince, percentile, type Ratio } from './stats.js';

/**
 * One `chain flush-receipts` of 10,000 receipts on the local backend — select, hash every
 * receipt (RFC 8785 + SHA-256), build the tree, sign, and in one fsynced transaction store the
 * batch (its seq range and its leaves as one blob) and append the audit row — against the floor: the
 * bare Merkle root over the same 10,000 leaf hashes. Each trial uses a fresh database; the
 * median of `trials` is reported.
 */
export async function benchReceiptsFlush(dir: string, count = 10_000, trials = 3): Promise<Ratio> {
  const flushTimes: number[] = [];
  const rootTimes: number[] = [];
  for (let trial = 0; trial < trials; trial += 1) {
    const db = openDatabase(join(dir, `bench-receipts-${trial}.db`));
    migrate(db);
    const keys = keyPairFromSeed(generateSeed());
    const identity = { agentId: { display: 'user@local', pubkey: keys.publicKeyB58 }, keys };
    const audit = new AuditLog(db, keys, systemClock);
    const receipts = new Receipts(db);
    const t0 = Date.now();
    db.transaction(() => {
      for (let i = 0; i < count; i += 1) {
        receipts.insert({
          id: newId(),
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
    const leaves = (db.prepare('SELECT * FROM receipts ORDER BY settled_at, id').all() as Array<Record<string, unknown>>).map((r) =>
      receiptLeafHash(r),
    );
    for (let i = 0; i < 5; i += 1) {
      const start = process.hrtime.bigint();
      merkleRoot(leaves);
      rootTimes.push(msSince(start));
    }
    const service = new SettlementService({ db, audit, clock: systemClock, identity, backend: new LocalBackend() });
    const start = process.hrtime.bigint();
    const result = await service.flush(identity.agentId);
    flushTimes.push(msSince(start));
    if (result.receipts_updated !== count || result.batch.merkle_root !== merkleRoot(leaves).toString('hex')) {
      throw new Error('the flush did not batch every receipt under the expected root');
    }
    db.close();
  }
  return latencyRatio(
    {
      name: `receipt flush of ${count} receipts (latency, median of ${trials})`,
      subject: 'chain flush on the local backend: leaf texts, hash, tree, sign, one transaction (batch row with range + leaf blob, audit row)',
      baseline: `bare Merkle root over the same ${count} leaf hashes`,
    },
    percentile(flushTimes, 50),
    percentile(rootTimes, 50),
    4,
  );
}
