import { CovenantError, type Clock } from '../core/index.js';
import type { AgentId } from '../identity/index.js';
import type { Db } from '../store/index.js';
import type { AuditEvent, AuditLog } from './audit-log.js';
import { verifyAuditChain } from './verify.js';

export interface AuditPurgeDeps {
  db: Db;
  audit: AuditLog;
  /** The daemon key checkpoints are signed with (the purge re-verifies what it cuts). */
  daemonPubkeyB58: string;
  clock: Clock;
}

export interface AuditPurgeResult {
  before_ms: number;
  /** The last purged seq (the signed cut), or null when nothing was purged. */
  cut_seq: number | null;
  cut_chain_hash: string | null;
  purged: number;
  /** The `audit_purged` row that records the purge. */
  event: AuditEvent;
}

/** Throws E_BAD_REQUEST unless `beforeMs` is a whole epoch-ms time in [0, now]. */
export function assertAuditCutoff(beforeMs: number, now: number): void {
  if (!Number.isSafeInteger(beforeMs) || beforeMs < 0) {
    throw new CovenantError('E_BAD_REQUEST', `before_ms must be a whole, non-negative epoch-ms time (got ${String(beforeMs)})`);
  }
  if (beforeMs > now) {
    throw new CovenantError('E_BAD_REQUEST', `before_ms ${beforeMs} is in the future (now is ${now}); a purge cutoff must not be after now`);
  }
}

/**
 * Deletes the oldest audit rows, those with timestamp_ms < beforeMs, but only as a contiguous
 * prefix of the chain: the cut C is the highest seq such that every row up to C is older than
 * the cutoff, so a row older than the cutoff that follows a newer one stays (no hole is ever
 * punched). In one transaction: the rows to be cut must verify; a checkpoint signed by the daemon
 * key is ensured at C and a purge anchor signed at C (the only start other than seq 1 that
 * verify accepts); rows <= C and checkpoints < C are deleted; and an
 * `audit_purged {before_ms, cut_seq, cut_chain_hash, purged}` row is appended. The remaining
 * log then starts at C+1 and verifies from the signed cut, and new rows continue the chain
 * even when every row was purged (the AuditLog anchors on the latest checkpoint). After the
 * commit the signed head moves to the `audit_purged` row.
 *
 * A chain that already fails verification at or before the cut is not purged (E_CONFLICT):
 * purging it would delete the evidence and sign over a tampered hash.
 */
export function purgeAudit(deps: AuditPurgeDeps, input: { caller: AgentId; beforeMs: number }): AuditPurgeResult {
  const { db, audit } = deps;
  assertAuditCutoff(input.beforeMs, deps.clock.now());
  const result = db.transaction((): AuditPurgeResult => {
    const bounds = db.prepare('SELECT min(seq) AS first, max(seq) AS last FROM audit_events').get() as {
      first: number | null;
      last: number | null;
    };
    let cut: { seq: number; chain_hash: string } | null = null;
    if (bounds.first !== null && bounds.last !== null) {
      const boundary = db.prepare('SELECT min(seq) AS seq FROM audit_events WHERE timestamp_ms >= ?').get(input.beforeMs) as {
        seq: number | null;
      };
      const cutSeq = boundary.seq === null ? bounds.last : boundary.seq - 1;
      if (cutSeq >= bounds.first) {
        const row = db.prepare('SELECT seq, chain_hash FROM audit_events WHERE seq = ?').get(cutSeq) as
          | { seq: number; chain_hash: string }
          | undefined;
        if (!row) throw new CovenantError('E_CONFLICT', `audit row ${cutSeq} is missing; run \`covenant audit verify\` before purging`);
        cut = row;
      }
    }

    let purged = 0;
    if (cut) {
      const cutSeq = cut.seq;
      const report = verifyAuditChain(db, deps.daemonPubkeyB58);
      const blocking = report.failures.find((f) => f.seq <= cutSeq + 1);
      if (blocking) {
        throw new CovenantError(
          'E_CONFLICT',
          `the audit chain does not verify at seq ${blocking.seq} (${blocking.reason}); the purge was refused so the evidence is kept. Inspect it with \`covenant audit verify\``,
        );
      }
      const existing = db.prepare('SELECT chain_hash FROM audit_checkpoints WHERE seq = ?').get(cutSeq) as
        | { chain_hash: string }
        | undefined;
      if (existing?.chain_hash !== cut.chain_hash) audit.checkpointAt(cutSeq);
      audit.signPurgeAnchor(cutSeq, cut.chain_hash);
      purged = db.prepare('DELETE FROM audit_events WHERE seq <= ?').run(cutSeq).changes;
      db.prepare('DELETE FROM audit_checkpoints WHERE seq < ?').run(cutSeq);
    }
    const event = audit.append(input.caller, { kind: 'audit_purged', payload: {
      before_ms: input.beforeMs,
      cut_seq: cut?.seq ?? null,
      cut_chain_hash: cut?.chain_hash ?? null,
      purged,
    } });
    return { before_ms: input.beforeMs, cut_seq: cut?.seq ?? null, cut_chain_hash: cut?.chain_hash ?? null, purged, event };
  })();
  audit.refreshHead();
  return result;
}
