import { fromBase58 } from '../core/index.js';
import { verifySignature } from '../identity/index.js';
import type { Db } from '../store/index.js';
import type { AuditRow } from './audit-log.js';
import { chainHash, checkpointMessage, eventHash, GENESIS_CHAIN_HASH } from './hashing.js';

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

/** Re-derives every row's hashes and checks every signed checkpoint against the daemon key. */
export function verifyAuditChain(db: Db, daemonPubkeyB58: string): AuditIntegrityReport {
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
        else failures.push({ seq: row.seq, reason: `rows before seq ${row.seq} are missing and no signed cut covers them` });
      }
    } else if (row.seq !== expectedSeq) {
      failures.push({ seq: row.seq, reason: `sequence gap: expected seq ${expectedSeq}, found ${row.seq} (rows deleted or reordered)` });
    }
    let recomputed: string;
    try {
      recomputed = eventHash({
        seq: row.seq,
        id: row.id,
        timestamp_ms: row.timestamp_ms,
        issuer: { display: row.issuer_display, pubkey: row.issuer_pubkey },
        kind: row.kind,
        payload: JSON.parse(row.payload),
      });
    } catch {
      recomputed = '';
    }
    if (recomputed !== row.event_hash) {
      failures.push({ seq: row.seq, reason: 'row content does not match its event hash (modified or moved)' });
    } else if (chainHash(previous, row.event_hash) !== row.chain_hash) {
      failures.push({ seq: row.seq, reason: 'chain hash does not follow from the previous row (a row before it was changed or removed)' });
    }
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

  failures.sort((a, b) => a.seq - b.seq);
  const root = events > 0 ? previous : (checkpoints.at(-1)?.chain_hash ?? GENESIS_CHAIN_HASH);
  return { events, checkpoints: checkpoints.length, valid: failures.length === 0, root_hash_hex: root, failures };
}
