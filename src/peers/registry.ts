import type { Clock } from '../core/index.js';
import type { AgentId } from '../identity/index.js';
import type { Db } from '../store/index.js';
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

/** The token registry: only SHA-256 hashes of tokens are stored. */
export class PeerRegistry {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  /** Resolves a presented token to its live peer, or null when unknown or revoked. */
  resolve(token: string): PeerRecord | null {
    const hash = hashToken(token);
    const row = this.db.prepare('SELECT * FROM peers WHERE token_hash = ?').get(hash) as PeerRow | undefined;
    if (!row || !hashesEqual(row.token_hash, hash) || row.revoked_at !== null) return null;
    return toRecord(row);
  }

  byHash(hash: string): PeerRecord | null {
    const row = this.db.prepare('SELECT * FROM peers WHERE token_hash = ?').get(hash) as PeerRow | undefined;
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
    this.db
      .prepare(
        `INSERT INTO peers (token_hash, token_prefix, display, pubkey, role, registered_at, revoked_at)
         VALUES (?, ?, ?, ?, ?, ?, NULL)`,
      )
      .run(record.token_hash, record.token_prefix, agentId.display, agentId.pubkey, role, record.registered_at);
    return record;
  }

  liveOperatorTokens(): PeerRecord[] {
    const rows = this.db.prepare("SELECT * FROM peers WHERE role = 'operator' AND revoked_at IS NULL").all() as PeerRow[];
    return rows.map(toRecord);
  }
}
