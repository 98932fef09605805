import { CovenantError } from '../core/index.js';
import { statement, type Db } from '../store/index.js';
import { actionMatches } from './actions.js';
import type { Capability, CapabilityRecord } from './capability.js';
import { LiveLookups } from './live-lookups.js';

interface CapabilityRow {
  id: string;
  subject_display: string;
  subject_pubkey: string;
  action: string;
  scope: string;
  granted_by_display: string;
  granted_by_pubkey: string;
  expires_at: number | null;
  parent_id: string | null;
  issued_at: number;
  signature_b58: string;
  revoked_at: number | null;
}

/** Records this store made: deeply frozen, so what was verified of one stays true of it. */
const storedRecords = new WeakSet<CapabilityRecord>();

/** Whether `record` came from a CapabilityStore and so cannot have changed since (deeply frozen). */
export function isStoredRecord(record: CapabilityRecord): boolean {
  return storedRecords.has(record);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** Throws E_INTERNAL when the stored scope is not a JSON object (a damaged row). */
function toRecord(row: CapabilityRow): CapabilityRecord {
  let scope: unknown;
  try {
    scope = JSON.parse(row.scope);
  } catch {
    throw new CovenantError('E_INTERNAL', `capability ${row.id} has a damaged scope column`);
  }
  if (typeof scope !== 'object' || scope === null || Array.isArray(scope)) {
    throw new CovenantError('E_INTERNAL', `capability ${row.id} has a scope that is not a JSON object`);
  }
  const record: CapabilityRecord = deepFreeze({
    id: row.id,
    subject: { display: row.subject_display, pubkey: row.subject_pubkey },
    action: row.action,
    scope: scope as Record<string, unknown>,
    granted_by: { display: row.granted_by_display, pubkey: row.granted_by_pubkey },
    expires_at: row.expires_at,
    parent_id: row.parent_id,
    issued_at: row.issued_at,
    signature_b58: row.signature_b58,
    revoked_at: row.revoked_at,
  });
  storedRecords.add(record);
  return record;
}

export function isLive(record: Pick<CapabilityRecord, 'revoked_at' | 'expires_at'>, now: number): boolean {
  return record.revoked_at === null && (record.expires_at === null || record.expires_at > now);
}

/**
 * Repository over the `capabilities` table. Pure data access: no signing, no audit. Made once
 * the table exists and outside any transaction (LiveLookups).
 */
export class CapabilityStore {
  private readonly remembered: LiveLookups;

  constructor(private readonly db: Db) {
    this.remembered = new LiveLookups(db);
  }

  isEmpty(): boolean {
    return statement(this.db, 'SELECT 1 FROM capabilities LIMIT 1').get() === undefined;
  }

  insert(cap: Capability): CapabilityRecord {
    statement(this.db, `INSERT INTO capabilities (id, subject_display, subject_pubkey, action, scope, granted_by_display,
           granted_by_pubkey, expires_at, parent_id, issued_at, signature_b58, revoked_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)`,
      )
      .run(
        cap.id,
        cap.subject.display,
        cap.subject.pubkey,
        cap.action,
        JSON.stringify(cap.scope),
        cap.granted_by.display,
        cap.granted_by.pubkey,
        cap.expires_at,
        cap.parent_id,
        cap.issued_at,
        cap.signature_b58,
      );
    return { ...cap, revoked_at: null };
  }

  get(id: string): CapabilityRecord | null {
    const row = statement(this.db, 'SELECT * FROM capabilities WHERE id = ?').get(id) as CapabilityRow | undefined;
    return row ? toRecord(row) : null;
  }

  getBySignature(signatureB58: string): CapabilityRecord | null {
    const row = statement(this.db, 'SELECT * FROM capabilities WHERE signature_b58 = ?').get(signatureB58) as
      | CapabilityRow
      | undefined;
    return row ? toRecord(row) : null;
  }

  /** By id first, then by signature. */
  find(idOrSignature: string): CapabilityRecord | null {
    return this.get(idOrSignature) ?? this.getBySignature(idOrSignature);
  }

  /** Capabilities the peer holds or granted, newest first. */
  listForPeer(pubkey: string, limit: number): CapabilityRecord[] {
    const rows = statement(this.db, `SELECT * FROM capabilities WHERE subject_pubkey = ? OR granted_by_pubkey = ?
         ORDER BY issued_at DESC, rowid DESC LIMIT ?`,
      )
      .all(pubkey, pubkey, limit) as CapabilityRow[];
    return rows.map(toRecord);
  }

  /** Direct children (capabilities delegated from `id`). */
  children(id: string): CapabilityRecord[] {
    const rows = statement(this.db, 'SELECT * FROM capabilities WHERE parent_id = ? ORDER BY issued_at').all(id) as CapabilityRow[];
    return rows.map(toRecord);
  }

  /**
   * Unrevoked, unexpired capabilities held by `subjectPubkey` whose action covers `action`,
   * newest first. Candidates only: the caller still verifies signatures and scope. Rows whose
   * scope column is damaged are skipped.
   */
  liveFor(subjectPubkey: string, action: string, now: number): CapabilityRecord[] {
    return this.unrevokedFor(subjectPubkey, action).filter((record) => isLive(record, now));
  }

  /** `liveFor` before the clock (LiveLookups). */
  private unrevokedFor(subjectPubkey: string, action: string): readonly CapabilityRecord[] {
    return this.remembered.answer(`${subjectPubkey}\n${action}`, () => {
      const rows = statement(this.db, `SELECT * FROM capabilities
           WHERE subject_pubkey = ? AND revoked_at IS NULL AND (action = ? OR action LIKE '%.*')
           ORDER BY issued_at DESC, rowid DESC`,
        )
        .all(subjectPubkey, action) as CapabilityRow[];
      const records: CapabilityRecord[] = [];
      for (const row of rows) {
        if (!actionMatches(row.action, action)) continue;
        try {
          records.push(toRecord(row));
        } catch {
          // a damaged row never grants anything
        }
      }
      return records;
    });
  }

  /**
   * Revokes `id` and everything delegated from it (transitively, via parent_id) at `at`.
   * Returns the ids that were live (unrevoked) and are now revoked, the target first.
   */
  revokeCascade(id: string, at: number): string[] {
    const run = () => {
      const rows = statement(this.db, `WITH RECURSIVE tree(id) AS (
             SELECT id FROM capabilities WHERE id = ?
             UNION
             SELECT c.id FROM capabilities c JOIN tree ON c.parent_id = tree.id
           )
           SELECT capabilities.id FROM tree JOIN capabilities ON capabilities.id = tree.id
           WHERE capabilities.revoked_at IS NULL
           ORDER BY capabilities.id = ? DESC, capabilities.issued_at, capabilities.rowid`,
        )
        .all(id, id) as { id: string }[];
      const revoke = statement(this.db, 'UPDATE capabilities SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL');
      for (const row of rows) revoke.run(at, row.id);
      return rows.map((row) => row.id);
    };
    // Inside a caller's transaction (or a request's group commit) this is a savepoint: all or nothing either way.
    return this.db.transaction(run)();
  }

  /**
   * Deletes capabilities that were revoked before `beforeMs`, or that expired before
   * `beforeMs` (and have expired by `now`). A record another remaining record still points to
   * through parent_id is kept, so no chain is ever cut. Returns the ids deleted.
   */
  purge(beforeMs: number, now: number): string[] {
    const run = () => {
      const dead = statement(this.db, `SELECT id FROM capabilities
           WHERE (revoked_at IS NOT NULL AND revoked_at < ?)
              OR (expires_at IS NOT NULL AND expires_at <= ? AND expires_at < ?)`,
        )
        .all(beforeMs, now, beforeMs) as { id: string }[];
      const doomed = new Set(dead.map((row) => row.id));
      if (doomed.size === 0) return [];
      const edges = statement(this.db, 'SELECT id, parent_id FROM capabilities WHERE parent_id IS NOT NULL')
        .all() as { id: string; parent_id: string }[];
      // Keep any parent whose child stays; repeat until nothing changes (chains can be deep).
      let changed = true;
      while (changed) {
        changed = false;
        for (const edge of edges) {
          if (!doomed.has(edge.id) && doomed.delete(edge.parent_id)) changed = true;
        }
      }
      const remove = statement(this.db, 'DELETE FROM capabilities WHERE id = ?');
      for (const id of doomed) remove.run(id);
      return [...doomed];
    };
    // Inside a caller's transaction (or a request's group commit) this is a savepoint: all or nothing either way.
    return this.db.transaction(run)();
  }
}
