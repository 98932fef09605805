import type { AuditLog } from '../audit/index.js';
import { randomBase58, secretPrefix, sha256Hex, type Clock } from '../core/index.js';
import type { AgentId } from '../identity/index.js';
import { hashToken, mintToken, tokenPrefix, type PeerQueries, type PeerRecord, type PeerRegistry } from '../peers/index.js';
import { statement, type Db } from '../store/index.js';

/** A login code works once, within 2 minutes of `covenant console` (SPEC 19). */
export const CODE_TTL_MS = 2 * 60_000;
/** A console session unused this long is expired (and its token revoked) when next seen. */
export const SESSION_IDLE_MS = 12 * 60 * 60_000;
/** last_seen_at is written at most this often per session: reads stay (almost) write-free. */
export const TOUCH_INTERVAL_MS = 60_000;
const MAX_CODE_LENGTH = 128;

/** Why a code was not traded for a session; the audit row's `reason`, never told apart to the browser. */
export type CodeRefusal = 'unknown console code' | 'expired console code' | 'console code already used';
/** Why a session cookie was not accepted. */
export type SessionRefusal = 'unknown console session' | 'revoked console session' | 'expired console session';

export type Exchange = { ok: true; token: string; tokenPrefix: string } | { ok: false; reason: CodeRefusal; codePrefix: string | null };
export type SessionLookup = { ok: true; peer: PeerRecord } | { ok: false; reason: SessionRefusal };

interface CodeRow {
  code_hash: string;
  code_prefix: string;
  expires_at: number;
  used_at: number | null;
}

interface SessionRow {
  token_hash: string;
  last_seen_at: number;
}

export interface ConsoleSessionDeps {
  db: Db;
  clock: Clock;
  audit: AuditLog;
  peers: PeerRegistry;
  peerQueries: PeerQueries;
  /** Console sessions act as the operator. */
  operator: AgentId;
}

/**
 * Login codes and console sessions (SPEC 19, docs/console.md). A code is stored only as its
 * SHA-256, used once, within CODE_TTL_MS. Trading it registers a fresh token as an operator
 * peer (so `covenant peers revoke <prefix>` ends the session, and a restart keeps it) and marks
 * it as a console session here; the browser holds that token only in an HttpOnly cookie.
 */
export class ConsoleSessions {
  constructor(private readonly deps: ConsoleSessionDeps) {}

  /** Mints a login code; first expires idle sessions, so `peers list` shows them revoked. */
  issueCode(issuer: AgentId): { code: string; expiresAt: number } {
    const { db, clock, audit } = this.deps;
    const code = randomBase58(32);
    const now = clock.now();
    const expiresAt = now + CODE_TTL_MS;
    db.transaction(() => {
      this.expireIdle(now);
      // Codes are worthless once expired: keep the table small.
      statement(db, 'DELETE FROM console_codes WHERE expires_at < ?').run(now - CODE_TTL_MS);
      statement(db, 'INSERT INTO console_codes (code_hash, code_prefix, issued_at, expires_at, used_at) VALUES (?, ?, ?, ?, NULL)').run(
        sha256Hex(code),
        secretPrefix(code),
        now,
        expiresAt,
      );
      audit.append(issuer, { kind: 'console_code_issued', payload: { code_prefix: secretPrefix(code), expires_at: expiresAt } });
    })();
    return { code, expiresAt };
  }

  /**
   * Trades a code for a session token, at most once per code (the UPDATE decides, however many
   * race). A refusal changes nothing; the caller audits it as a failed authentication.
   */
  exchange(code: string): Exchange {
    const { db, clock, audit, peers, operator } = this.deps;
    const codePrefix = code.length >= 12 && code.length <= MAX_CODE_LENGTH ? secretPrefix(code) : null;
    if (code.length === 0 || code.length > MAX_CODE_LENGTH) return { ok: false, reason: 'unknown console code', codePrefix };
    const hash = sha256Hex(code);
    return db.transaction((): Exchange => {
      const now = clock.now();
      const row = statement(db, 'SELECT code_hash, code_prefix, expires_at, used_at FROM console_codes WHERE code_hash = ?').get(hash) as CodeRow | undefined;
      if (!row) return { ok: false, reason: 'unknown console code', codePrefix };
      if (row.used_at !== null) return { ok: false, reason: 'console code already used', codePrefix };
      if (row.expires_at <= now) return { ok: false, reason: 'expired console code', codePrefix };
      statement(db, 'UPDATE console_codes SET used_at = ? WHERE code_hash = ? AND used_at IS NULL').run(now, hash);
      const token = mintToken();
      peers.register(token, operator, 'operator');
      statement(db, 'INSERT INTO console_sessions (token_hash, code_prefix, started_at, last_seen_at) VALUES (?, ?, ?, ?)').run(
        hashToken(token),
        row.code_prefix,
        now,
        now,
      );
      audit.append(operator, { kind: 'console_session_started', payload: { token_prefix: tokenPrefix(token), code_prefix: row.code_prefix } });
      return { ok: true, token, tokenPrefix: tokenPrefix(token) };
    })();
  }

  /**
   * The live console session of a cookie's token. Only tokens minted by `exchange` qualify (an
   * operator or peer token in a cookie is refused). A session idle past SESSION_IDLE_MS is
   * revoked here, with its `console_session_expired` row.
   */
  resolve(token: string): SessionLookup {
    const { db, clock } = this.deps;
    if (token.length === 0 || token.length > MAX_CODE_LENGTH) return { ok: false, reason: 'unknown console session' };
    const hash = hashToken(token);
    const session = statement(db, 'SELECT token_hash, last_seen_at FROM console_sessions WHERE token_hash = ?').get(hash) as SessionRow | undefined;
    const peer = session ? this.deps.peers.byHash(hash) : null;
    if (!session || !peer) return { ok: false, reason: 'unknown console session' };
    if (peer.revoked_at !== null) return { ok: false, reason: 'revoked console session' };
    const now = clock.now();
    if (now - session.last_seen_at > SESSION_IDLE_MS) {
      db.transaction(() => this.expire(peer, now - session.last_seen_at, now))();
      return { ok: false, reason: 'expired console session' };
    }
    if (now - session.last_seen_at >= TOUCH_INTERVAL_MS) {
      try {
        statement(db, 'UPDATE console_sessions SET last_seen_at = ? WHERE token_hash = ?').run(now, hash);
      } catch {
        // A read must not fail because its session's last use could not be recorded (a full
        // disk): the session then looks idle a little sooner, never later.
      }
    }
    return { ok: true, peer };
  }

  /** Logout: revokes the session's token. False when it was not a live console session. */
  end(tokenHash: string): boolean {
    const { db, clock, audit, peerQueries, operator } = this.deps;
    return db.transaction(() => {
      const session = statement(db, 'SELECT token_hash FROM console_sessions WHERE token_hash = ?').get(tokenHash);
      const peer = this.deps.peers.byHash(tokenHash);
      if (!session || !peer || !peerQueries.revoke(tokenHash, clock.now())) return false;
      audit.append(operator, { kind: 'console_session_ended', payload: { token_prefix: peer.token_prefix } });
      return true;
    })();
  }

  private expireIdle(now: number): void {
    const idle = statement(this.deps.db, 'SELECT token_hash, last_seen_at FROM console_sessions WHERE last_seen_at < ?').all(now - SESSION_IDLE_MS) as SessionRow[];
    for (const session of idle) {
      const peer = this.deps.peers.byHash(session.token_hash);
      if (peer && peer.revoked_at === null) this.expire(peer, now - session.last_seen_at, now);
    }
  }

  private expire(peer: PeerRecord, idleMs: number, now: number): void {
    if (!this.deps.peerQueries.revoke(peer.token_hash, now)) return;
    this.deps.audit.append(this.deps.operator, { kind: 'console_session_expired', payload: { token_prefix: peer.token_prefix, idle_ms: idleMs } });
  }
}

