import { AuditLog, verifyAuditChain } from '../../src/audit/index.js';
import type { DaemonContext } from '../../src/requests/index.js';
import { generateSeed, keyPairFromSeed, type AgentId, type KeyPair } from '../../src/identity/index.js';
import { migrate, openDatabase, type Db } from '../../src/store/index.js';
import { tempDir } from '../helpers/temp-home.js';
import { FakeClock } from '../helpers/fake-clock.js';

export { FakeClock };

export interface LogHarness {
  db: Db;
  log: AuditLog;
  clock: FakeClock;
  keys: KeyPair;
  operator: AgentId;
  verify(): ReturnType<typeof verifyAuditChain>;
  seqs(): number[];
  checkpointSeqs(): number[];
  done(): void;
}

/** An AuditLog on a fresh database with a controllable clock. */
export function logHarness(): LogHarness {
  const { dir, cleanup } = tempDir('covenant-audit-');
  const db = openDatabase(`${dir}/covenant.db`);
  migrate(db);
  const keys = keyPairFromSeed(generateSeed());
  const clock = new FakeClock();
  const log = new AuditLog(db, keys, clock);
  return {
    db,
    log,
    clock,
    keys,
    operator: { display: 'user@local', pubkey: keys.publicKeyB58 },
    verify: () => verifyAuditChain(db, keys.publicKeyB58),
    seqs: () => (db.prepare('SELECT seq FROM audit_events ORDER BY seq').all() as Array<{ seq: number }>).map((r) => r.seq),
    checkpointSeqs: () => (db.prepare('SELECT seq FROM audit_checkpoints ORDER BY seq').all() as Array<{ seq: number }>).map((r) => r.seq),
    done: () => {
      db.close();
      cleanup();
    },
  };
}

export function newAgent(display: string): AgentId {
  return { display, pubkey: keyPairFromSeed(generateSeed()).publicKeyB58 };
}

interface GrantingService {
  grant(input: {
    caller: AgentId;
    callerIsOperator: boolean;
    action: string;
    subject: AgentId;
    scope: Record<string, unknown>;
    expiresAt: null;
  }): unknown;
}

/** The daemon's capability service, once the authorizer checks capabilities; null before. */
export function capabilityService(ctx: DaemonContext): GrantingService | null {
  const candidate = (ctx as unknown as { capabilities?: unknown }).capabilities;
  if (typeof candidate === 'object' && candidate !== null && typeof (candidate as GrantingService).grant === 'function') {
    return candidate as GrantingService;
  }
  return null;
}

/**
 * Grants `action` to `subject` as the operator through the daemon's public capability API when
 * the daemon has one. Before capability checks exist the grant is not needed, so tests written
 * with it pass either way.
 */
export function grantIfGated(ctx: DaemonContext, subject: AgentId, action: string): void {
  capabilityService(ctx)?.grant({ caller: ctx.identity.agentId, callerIsOperator: true, action, subject, scope: {}, expiresAt: null });
}
