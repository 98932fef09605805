import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog } from '../../src/audit/index.js';
import { CapabilityService, IdentityKeyStore } from '../../src/capabilities/index.js';
import { generateSeed, keyPairFromSeed, type AgentId, type KeyPair } from '../../src/identity/index.js';
import { migrate, openDatabase, type Db } from '../../src/store/index.js';
import { auditRows } from '../helpers/audit-rows.js';
import { FakeClock } from '../helpers/fake-clock.js';

export { FakeClock };

export interface Harness {
  dir: string;
  dbPath: string;
  db: Db;
  clock: FakeClock;
  audit: AuditLog;
  keys: IdentityKeyStore;
  operator: AgentId;
  daemonKeys: KeyPair;
  svc: CapabilityService;
  peer(display: string): AgentId;
  auditRows(kind: string): { issuer_pubkey: string; payload: Record<string, unknown> }[];
  close(): void;
}

export function harness(): Harness {
  const dir = mkdtempSync(join(tmpdir(), 'covenant-caps-'));
  const dbPath = join(dir, 'covenant.db');
  const db = openDatabase(dbPath);
  migrate(db);
  const clock = new FakeClock();
  const daemonKeys = keyPairFromSeed(generateSeed());
  const operator: AgentId = { display: 'user@local', pubkey: daemonKeys.publicKeyB58 };
  const audit = new AuditLog(db, daemonKeys, clock);
  const keys = new IdentityKeyStore(db, clock);
  const svc = new CapabilityService({
    db,
    audit,
    daemon: { agentId: operator, keys: daemonKeys },
    clock,
    keyFor: (pubkey) => keys.keyFor(pubkey),
  });
  return {
    dir,
    dbPath,
    db,
    clock,
    audit,
    keys,
    operator,
    daemonKeys,
    svc,
    peer: (display) => keys.create(display).agentId,
    auditRows: (kind) => auditRows(db, kind),
    close: () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A peer whose keypair the daemon does not hold. */
export function strangerId(display: string): AgentId {
  return { display, pubkey: keyPairFromSeed(generateSeed()).publicKeyB58 };
}

export function capCount(db: Db): number {
  return (db.prepare('SELECT COUNT(*) AS n FROM capabilities').get() as { n: number }).n;
}
