import { join } from 'node:path';
import { AuditLog } from '../../src/audit/index.js';
import { CapabilityService, IdentityKeyStore } from '../../src/capabilities/index.js';
import { systemClock } from '../../src/core/index.js';
import { generateSeed, keyPairFromSeed } from '../../src/identity/index.js';
import { migrate, openDatabase } from '../../src/store/index.js';
import { throughputRatio, type Ratio } from './stats.js';

/**
 * Throughput of one authorized request's bookkeeping — a signed-capability check plus its
 * `capability_check` audit row (hash-chained, fsynced) — against a bare SQLite insert of the
 * same row in the same database settings.
 */
export function benchCapabilityAudit(dir: string, count = 2000): Ratio {
  const db = openDatabase(join(dir, 'bench-caps.db'));
  migrate(db);
  const keys = keyPairFromSeed(generateSeed());
  const daemon = { agentId: { display: 'user@local', pubkey: keys.publicKeyB58 }, keys };
  const audit = new AuditLog(db, keys, systemClock);
  const identityKeys = new IdentityKeyStore(db, systemClock);
  const capabilities = new CapabilityService({ db, audit, daemon, clock: systemClock, keyFor: (pk) => identityKeys.keyFor(pk) });
  capabilities.grant({ caller: daemon.agentId, callerIsOperator: true, action: 'intent.submit', scope: {}, expiresAt: null });
  // The same table shape and indexes as audit_events, so only the bookkeeping differs.
  db.exec(`CREATE TABLE bare_rows (
      seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, timestamp_ms INTEGER NOT NULL, issuer_display TEXT NOT NULL,
      issuer_pubkey TEXT NOT NULL, kind TEXT NOT NULL, payload TEXT NOT NULL, event_hash TEXT NOT NULL, chain_hash TEXT NOT NULL);
    CREATE INDEX bare_rows_kind ON bare_rows(kind, seq);
    CREATE INDEX bare_rows_issuer ON bare_rows(issuer_pubkey, seq);
    CREATE INDEX bare_rows_time ON bare_rows(timestamp_ms);`);
  const template = db.prepare('SELECT * FROM audit_events ORDER BY seq DESC LIMIT 1').get() as Record<string, unknown>;
  const insert = db.prepare(
    `INSERT INTO bare_rows (seq, id, timestamp_ms, issuer_display, issuer_pubkey, kind, payload, event_hash, chain_hash)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );

  // Alternate in rounds so both sides see the same WAL size and machine load; the first round
  // of each is a warm-up (the JIT compiles both loops), not measured, as in the other benches.
  let checkNs = 0n;
  let bareNs = 0n;
  let row = 0;
  const rounds = 10;
  for (let round = -1; round < rounds; round += 1) {
    const checkStart = process.hrtime.bigint();
    for (let i = 0; i < count / rounds; i += 1) {
      if (!capabilities.check({ caller: daemon.agentId, required: 'intent.submit' }).passed) throw new Error('check failed');
    }
    if (round >= 0) checkNs += process.hrtime.bigint() - checkStart;
    const bareStart = process.hrtime.bigint();
    for (let i = 0; i < count / rounds; i += 1) {
      row += 1;
      insert.run(row, `bench-${row}`, Date.now(), template.issuer_display, template.issuer_pubkey, 'capability_check', template.payload, template.event_hash, template.chain_hash);
    }
    if (round >= 0) bareNs += process.hrtime.bigint() - bareStart;
  }
  const checkSeconds = Number(checkNs) / 1e9;
  const bareSeconds = Number(bareNs) / 1e9;
  db.close();

  const subject = count / checkSeconds;
  const baseline = count / bareSeconds;
  return throughputRatio(
    { name: 'capability check + audit append (throughput)', subject: 'CapabilityService.check with its capability_check audit row', baseline: 'bare SQLite insert of the same row' },
    subject,
    baseline,
    0.5,
  );
}
