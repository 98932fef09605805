import type { Clock } from '../core/index.js';
import type { AgentId } from '../identity/index.js';
import { statement, watchTable, type Db } from '../store/index.js';
import { hashesEqual, hashToken, tokenPrefix } from './tokens.js';

export type PeerRole = 'operator' | 'peer';

export interface PeerRecord {
  token_hash: string;
  token_prefix: string;
  agent_id: AgentId;
  role: PeerRole;
  registered_at: number;
  revoked_at: number | null;
}

interface PeerRow {
  token_hash: string;
  token_prefix: string;
  display: string;
  pubkey: string;
  role: PeerRole;
  registered_at: number;
  revoked_at: number | null;
}

function frozenRecord(row: PeerRow): Readonly<PeerRecord> {
  const record = toRecord(row);
  Object.freeze(record.agent_id);
  return Object.freeze(record);
}

function toRecord(row: PeerRow): PeerRecord {
  return {
    token_hash: row.token_hash,
    token_prefix: row.token_prefix,
    agent_id: { display: row.display, pubkey: row.pubkey },
    role: row.role,
    registered_at: row.registered_at,
    revoked_at: row.revoked_at,
  };
}

/**
 * The token registry: only SHA-256 hashes of tokens are stored. Live peers that have been
 * resolved are kept in memory (every request of the HTTP gateway and every socket frame asks),
 * and forgotten on any change to the `peers` table (see watchTable), so a revocation is seen
 * by the very next request. Unknown or revoked tokens are never kept.
 */
export class PeerRegistry {
  private readonly live = new Map<string, Readonly<PeerRecord>>();

  /** Made once the `peers` table exists and outside any transaction (watchTable). */
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {
    watchTable(db, 'peers', () => this.live.clear());
  }

  /** Resolves a presented token to its live peer, or null when unknown or revoked. */
  resolve(token: string, hash = hashToken(token)): PeerRecord | null {
    // `hash` is given by a caller that has already hashed this very token (the gateway, once per connection).
    return this.live.get(hash) ?? this.lookup(hash);
  }

  /** The per-request liveness check. */
  isLive(hash: string): boolean {
    return this.live.has(hash) || this.lookup(hash) !== null;
  }

  private lookup(hash: string): Readonly<PeerRecord> | null {
    const row = statement(this.db, 'SELECT * FROM peers WHERE token_hash = ?').get(hash) as PeerRow | undefined;
    if (!row || !hashesEqual(row.token_hash, hash) || row.revoked_at !== null) return null;
    const record = frozenRecord(row);
    // A row read inside an open transaction may yet be rolled back: not kept.
    if (!this.db.inTransaction) this.live.set(hash, record);
    return record;
  }

  byHash(hash: string): PeerRecord | null {
    const row = statement(this.db, 'SELECT * FROM peers WHERE token_hash = ?').get(hash) as PeerRow | undefined;
    return row ? toRecord(row) : null;
  }

  register(token: string, agentId: AgentId, role: PeerRole): PeerRecord {
    const record: PeerRecord = {
      token_hash: hashToken(token),
      token_prefix: tokenPrefix(token),
      agent_id: agentId,
      role,
      registered_at: this.clock.now(),
      revoked_at: null,
    };
    statement(this.db, `INSERT INTO peers (token_hash, token_prefix, display, pubkey, role, registered_at, revoked_at)
         VALUES (?, ?, ?, ?, ?, ?, NULL)`,
      )
      .run(record.token_hash, record.token_prefix, agentId.display, agentId.pubkey, role, record.registered_at);
    return record;
  }

  liveOperatorTokens(): PeerRecord[] {
    const rows = statement(this.db, "SELECT * FROM peers WHERE role = 'operator' AND revoked_at IS NULL").all() as PeerRow[];
    return rows.map(toRecord);
  }
}

export type PeerStatusFilter = 'all' | 'live' | 'revoked';

export interface PeerListQuery {
  limit: number;
  pubkeyPrefix?: string;
  status: PeerStatusFilter;
}

export class PeerQueries {
  constructor(private readonly db: Db) {}

  /** Newest first; filters apply before the limit. */
  list(query: PeerListQuery): { matched: number; peers: PeerRecord[] } {
    const where: string[] = [];
    const args: unknown[] = [];
    if (query.pubkeyPrefix) {
      where.push("substr(pubkey, 1, ?) = ?");
      args.push(query.pubkeyPrefix.length, query.pubkeyPrefix);
    }
    if (query.status === 'live') where.push('revoked_at IS NULL');
    if (query.status === 'revoked') where.push('revoked_at IS NOT NULL');
    const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const matched = (statement(this.db, `SELECT count(*) AS n FROM peers ${clause}`).get(...args) as { n: number }).n;
    const rows = statement(this.db, `SELECT * FROM peers ${clause} ORDER BY registered_at DESC, rowid DESC LIMIT ?`)
      .all(...args, query.limit) as PeerRow[];
    return { matched, peers: rows.map(toRecord) };
  }

  /** Tokens whose stored 6-character prefix starts with `prefix` (at most 6 characters), newest first. */
  byTokenPrefix(prefix: string, limit: number): PeerRecord[] {
    const rows = statement(this.db, 'SELECT * FROM peers WHERE substr(token_prefix, 1, ?) = ? ORDER BY registered_at DESC, rowid DESC LIMIT ?')
      .all(prefix.length, prefix, limit) as PeerRow[];
    return rows.map(toRecord);
  }

  /** The token with this hash: a whole token is matched exactly. */
  byTokenHash(hash: string): PeerRecord | null {
    const row = statement(this.db, 'SELECT * FROM peers WHERE token_hash = ?').get(hash) as PeerRow | undefined;
    return row ? toRecord(row) : null;
  }

  /**
   * One token per identity whose pubkey starts with `prefix`: its live token, else its newest
   * (an identity has at most one live token; the operator's rotated ones are revoked).
   */
  byPubkeyPrefix(prefix: string, limit: number): PeerRecord[] {
    const rows = statement(this.db, `SELECT * FROM peers WHERE substr(pubkey, 1, ?) = ?
         ORDER BY revoked_at IS NULL DESC, registered_at DESC, rowid DESC`,
      )
      .all(prefix.length, prefix) as PeerRow[];
    const byIdentity = new Map<string, PeerRow>();
    for (const row of rows) if (!byIdentity.has(row.pubkey)) byIdentity.set(row.pubkey, row);
    return [...byIdentity.values()].slice(0, limit).map(toRecord);
  }

  /** Live peers (one per identity) whose display or pubkey starts with `prefix`, newest first. */
  startingWith(prefix: string, limit: number): PeerRecord[] {
    const rows = statement(this.db, `SELECT * FROM peers WHERE revoked_at IS NULL AND (substr(display, 1, ?) = ? OR substr(pubkey, 1, ?) = ?)
         GROUP BY pubkey ORDER BY registered_at DESC LIMIT ?`,
      )
      .all(prefix.length, prefix, prefix.length, prefix, limit) as PeerRow[];
    return rows.map(toRecord);
  }

  /** Live peers whose display equals `name` or whose pubkey starts with it. */
  resolveSubject(name: string): PeerRecord[] {
    const rows = statement(this.db, `SELECT * FROM peers WHERE revoked_at IS NULL AND (display = ? OR substr(pubkey, 1, ?) = ?)
         GROUP BY pubkey ORDER BY registered_at DESC LIMIT 10`,
      )
      .all(name, name.length, name) as PeerRow[];
    return rows.map(toRecord);
  }

  revoke(tokenHash: string, at: number): boolean {
    return statement(this.db, 'UPDATE peers SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL').run(at, tokenHash).changes === 1;
  }

  /**
   * Removes revoked peers revoked before the cutoff; live peers are never purged. Revoked
   * operator tokens stay as tombstones: start-up registers a token it finds in
   * peers/operator.token but not in this table, so deleting the row of a revoked operator token
   * (after a forced self-revoke) would bring that token back to life at the next start.
   */
  purgeRevoked(beforeMs: number): number {
    return statement(this.db, "DELETE FROM peers WHERE revoked_at IS NOT NULL AND revoked_at < ? AND role = 'peer'")
      .run(beforeMs).changes;
  }
}
