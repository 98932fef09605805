import { fromBase58 } from '../core/index.js';
import { verifySignature } from '../identity/index.js';
import type { Db } from '../store/index.js';
import { readPurgeAnchor } from './anchor.js';
import { recomputedEventHash, type AuditRow } from './audit-log.js';
import { chainHash, checkpointMessage, GENESIS_CHAIN_HASH } from './hashing.js';
import { AUDIT_HEAD_FILE, auditHeadPath, readAuditHead } from './head.js';
import type { SignedMark } from './signed-mark.js';

export interface AuditFailure {
  seq: number;
  reason: string;
}

export interface AuditIntegrityReport {
  events: number;
  checkpoints: number;
  valid: boolean;
  root_hash_hex: string;
  failures: AuditFailure[];
}

interface CheckpointRow {
  seq: number;
  chain_hash: string;
  timestamp_ms: number;
  signature_b58: string;
}

export interface AuditVerifyOptions {
  /** The signed head file; by default `audit.head` next to the database (null: do not check one). */
  headPath?: string | null;
}

/**
 * Re-derives every row's hashes and checks every signed checkpoint against the daemon key. The
 * chain must start at seq 1 from the genesis hash or right after the signed purge anchor, and
 * it must reach the signed head with the head's chain hash (rows after the head, written since
 * it was last signed, only need to chain from it).
 */
export function verifyAuditChain(db: Db, daemonPubkeyB58: string, options: AuditVerifyOptions = {}): AuditIntegrityReport {
  const failures: AuditFailure[] = [];
  const checkpoints = db.prepare('SELECT * FROM audit_checkpoints ORDER BY seq').all() as CheckpointRow[];
  const checkpointBySeq = new Map(checkpoints.map((c) => [c.seq, c]));

  for (const checkpoint of checkpoints) {
    const signature = fromBase58(checkpoint.signature_b58);
    const message = checkpointMessage(checkpoint.seq, checkpoint.chain_hash, checkpoint.timestamp_ms);
    if (!signature || !verifySignature(daemonPubkeyB58, message, signature)) {
      failures.push({ seq: checkpoint.seq, reason: 'checkpoint signature does not verify against the daemon key' });
    }
  }

  const anchorRead = readPurgeAnchor(db, daemonPubkeyB58);
  if (anchorRead.state === 'invalid') {
    failures.push({ seq: anchorRead.seq, reason: 'purge anchor signature does not verify against the daemon key (it was forged or edited)' });
  }
  const anchor = anchorRead.state === 'valid' ? anchorRead.anchor : null;

  let events = 0;
  let expectedSeq: number | null = null;
  let previous = GENESIS_CHAIN_HASH;
  const seenChain = new Map<number, string>();
  for (const row of db.prepare('SELECT * FROM audit_events ORDER BY seq').iterate() as IterableIterator<AuditRow>) {
    events += 1;
    if (expectedSeq === null) {
      if (row.seq !== 1) {
        const cut = checkpointBySeq.get(row.seq - 1);
        if (cut) previous = cut.chain_hash;
        // A checkpoint alone is no start: every checkpoint would then be a place to cut the log at.
        if (!cut || anchor?.seq !== cut.seq || anchor.chain_hash !== cut.chain_hash) {
          failures.push({
            seq: row.seq,
            reason: `rows before seq ${row.seq} are missing and no signed purge anchor covers them (the log must start at seq 1 or right after an \`audit purge\` cut)`,
          });
        }
      }
    } else if (row.seq !== expectedSeq) {
      failures.push({ seq: row.seq, reason: `sequence gap: expected seq ${expectedSeq}, found ${row.seq} (rows deleted or reordered)` });
    }
    const reason = rowFailure(row, previous);
    if (reason !== null) failures.push({ seq: row.seq, reason });
    seenChain.set(row.seq, row.chain_hash);
    previous = row.chain_hash;
    expectedSeq = row.seq + 1;
  }

  for (const checkpoint of checkpoints) {
    const stored = seenChain.get(checkpoint.seq);
    const isCut = stored === undefined && (expectedSeq === null || checkpoint.seq < expectedSeq);
    if (stored === undefined && !isCut) {
      failures.push({ seq: checkpoint.seq, reason: 'checkpoint names a row that does not exist' });
    } else if (stored !== undefined && stored !== checkpoint.chain_hash) {
      failures.push({ seq: checkpoint.seq, reason: 'checkpoint chain hash differs from the row it signs' });
    }
  }

  const headPath = options.headPath === undefined ? auditHeadPath(db) : options.headPath;
  const headFailure = checkHead(readAuditHead(headPath, daemonPubkeyB58), expectedSeq === null ? null : expectedSeq - 1, seenChain, anchor);
  if (headFailure) failures.push(headFailure);

  failures.sort((a, b) => a.seq - b.seq);
  const root = events > 0 ? previous : (checkpoints.at(-1)?.chain_hash ?? GENESIS_CHAIN_HASH);
  return { events, checkpoints: checkpoints.length, valid: failures.length === 0, root_hash_hex: root, failures };
}

/** What is wrong with one stored row, given the chain hash before it; null when it verifies. */
export function rowFailure(row: AuditRow, previousChainHash: string): string | null {
  let recomputed: string;
  try {
    recomputed = recomputedEventHash(row);
  } catch {
    recomputed = '';
  }
  if (recomputed !== row.event_hash) return 'row content does not match its event hash (modified or moved)';
  if (chainHash(previousChainHash, row.event_hash) !== row.chain_hash) return 'chain hash does not follow from the previous row (a row before it was changed or removed)';
  return null;
}

/** The table must reach the signed head, with the head's chain hash at the head's seq. */
export function checkHead(
  read: ReturnType<typeof readAuditHead>,
  lastSeq: number | null,
  seenChain: Map<number, string>,
  anchor: SignedMark | null,
): AuditFailure | null {
  if (read.state === 'absent') return null;
  if (read.state === 'invalid') return { seq: read.seq, reason: read.reason };
  const head = read.head;
  if (lastSeq === null) {
    const first = (anchor?.seq ?? 0) + 1;
    return { seq: first, reason: `the log is empty but the signed audit head (${AUDIT_HEAD_FILE}) records seq ${head.seq}: its rows were deleted` };
  }
  if (lastSeq < head.seq) {
    return {
      seq: lastSeq + 1,
      reason: `the log ends at seq ${lastSeq} but the signed audit head (${AUDIT_HEAD_FILE}) records seq ${head.seq}: rows ${lastSeq + 1}..${head.seq} were deleted`,
    };
  }
  const stored = seenChain.get(head.seq);
  // A head before the first row was purged past (the start rule checks the anchor), or sits in a reported gap.
  if (stored !== undefined && stored !== head.chain_hash) {
    return {
      seq: head.seq,
      reason: `row ${head.seq} differs from the signed audit head (${AUDIT_HEAD_FILE}): the rows up to it were rewritten, renumbered or replaced`,
    };
  }
  return null;
}
