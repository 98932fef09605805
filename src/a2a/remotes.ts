/**
 * Registered remote daemons (SPEC 10 "Federation", docs/a2a.md): each has a URL, the card key
 * pinned when it was added, and a bearer token (a 0600 file under `$COVENANT_HOME/remotes/`,
 * never printed; the table keeps its 6-character prefix). Every connection fetches the card
 * again and refuses one signed by another key than the pin.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { AuditLog } from '../audit/index.js';
import { CovenantError, redact, secretPrefix, type Clock } from '../core/index.js';
import { assertPrivateFile, ensurePrivateDir, writePrivateFile } from '../home/index.js';
import type { AgentId } from '../identity/index.js';
import type { RemoteView } from '../protocol/index.js';
import { statement, type Db } from '../store/index.js';
import type { ConnectRemote, VerifiedRemote } from './remote-connection.js';
import { TimedOut, within } from './time-bound.js';

export interface RemoteRegistryDeps {
  db: Db;
  audit: AuditLog;
  clock: Clock;
  /** `$COVENANT_HOME/remotes`: one `<name>.token` file per remote. */
  dir: string;
  connect: ConnectRemote;
  /** How long a card fetch may take (COVENANT_A2A_DELIVER_TIMEOUT_MS). */
  timeoutMs: number;
}

export interface RemoteCheck {
  name: string;
  url: string;
  ok: boolean;
  outcome: 'ok' | 'card_mismatch' | 'unreachable';
  card_pubkey: string;
  seen_pubkey: string | null;
  message: string | null;
}

export interface ConnectOptions {
  signal?: AbortSignal;
  /** Time allowed for the card fetch (default: the deliver timeout). */
  ms?: number;
}

/** An error's message as it may be shown: token-shaped runs cut, at most 300 characters. */
export function describeError(error: unknown): string {
  return redact(error instanceof Error ? error.message : String(error)).slice(0, 300);
}

/** How a remote is named in messages: its name and where it is. */
export const remoteLabel = (remote: Pick<RemoteView, 'name' | 'url'>) => `remote ${JSON.stringify(remote.name)} (${remote.url})`;

/** What a task (or a cancel) tells when `remote` refused this daemon's token: who, why, and how to fix it. */
export function authRefusedMessage(remote: Pick<RemoteView, 'name' | 'url'>, refusal: CovenantError): string {
  return `E_REMOTE_AUTH_REFUSED: ${remoteLabel(remote)}: ${refusal.message}; then register it again with the new token: covenant remotes remove ${remote.name}, covenant remotes add ${remote.name} ${remote.url} --token-file <file>`;
}

/** A connection attempt that failed: unreachable (worth a retry) or a card signed by another key (not). */
export function cardMismatch(remote: RemoteView, seen: string, taskId: string | null): CovenantError {
  return new CovenantError(
    'E_REMOTE_CARD_MISMATCH',
    `${remoteLabel(remote)} serves a card signed by ${seen}, not by the pinned key ${remote.card_pubkey}; if the remote's key really changed, check it with its operator, then covenant remotes remove ${remote.name} and add it again`,
    { auditEvent: { kind: 'remote_card_mismatch', payload: { remote: remote.name, url: remote.url, pinned_pubkey: remote.card_pubkey, seen_pubkey: seen, task_id: taskId } } },
  );
}

export class RemoteRegistry {
  constructor(private readonly deps: RemoteRegistryDeps) {}

  /** COVENANT_A2A_DELIVER_TIMEOUT_MS: how long any exchange with a remote may go unanswered. */
  get timeoutMs(): number {
    return this.deps.timeoutMs;
  }

  list(): RemoteView[] {
    return statement(this.deps.db, 'SELECT * FROM a2a_remotes ORDER BY name').all() as RemoteView[];
  }

  get(name: string): RemoteView | null {
    return (statement(this.deps.db, 'SELECT * FROM a2a_remotes WHERE name = ?').get(name) as RemoteView | undefined) ?? null;
  }

  has(name: string): boolean {
    return this.get(name) !== null;
  }

  /** The remote's bearer token, read from its 0600 file. */
  token(name: string): string {
    const path = this.tokenPath(name);
    try {
      assertPrivateFile(path);
      return readFileSync(path, 'utf8').trim();
    } catch (error) {
      throw new CovenantError('E_NOT_FOUND', `the token file of remote ${JSON.stringify(name)} (${path}) is missing or not private; covenant remotes remove ${name} and add it again`, { cause: error });
    }
  }

  /**
   * Fetches and verifies the card of `url` (bounded by the deliver timeout). The card must be
   * signed; its key is returned. Unreachable, garbage and a bad signature are E_REMOTE_UNREACHABLE.
   */
  async fetchCard(label: string, url: string, token: string, options: ConnectOptions = {}): Promise<VerifiedRemote> {
    const ms = options.ms ?? this.deps.timeoutMs;
    try {
      return await within((signal) => this.deps.connect(url, { token, signal }), ms, options.signal);
    } catch (error) {
      const why = error instanceof TimedOut ? `no answer within ${ms} ms` : describeError(error);
      throw new CovenantError('E_REMOTE_UNREACHABLE', `${label}: could not fetch a verified agent card: ${why}`, { cause: error });
    }
  }

  /** A connection to a registered remote whose card is signed by its pinned key (else E_REMOTE_CARD_MISMATCH, not audited here). */
  async connect(remote: RemoteView, options: ConnectOptions & { taskId?: string } = {}): Promise<VerifiedRemote> {
    const connection = await this.fetchCard(remoteLabel(remote), remote.url, this.token(remote.name), options);
    if (connection.pubkey !== remote.card_pubkey) throw cardMismatch(remote, connection.pubkey, options.taskId ?? null);
    return connection;
  }

  /** `remotes add`: the card is fetched and verified first; its key is pinned (or must equal `cardPubkey`). */
  async add(input: { name: string; url: string; token: string; cardPubkey?: string | undefined }, by: AgentId): Promise<RemoteView> {
    const url = input.url.replace(/\/+$/, '');
    if (this.has(input.name)) throw new CovenantError('E_CONFLICT', `a remote named ${JSON.stringify(input.name)} exists; covenant remotes remove ${input.name} first`);
    const label = remoteLabel({ name: input.name, url });
    const { pubkey } = await this.fetchCard(label, url, input.token);
    if (input.cardPubkey !== undefined && input.cardPubkey !== pubkey) {
      const pinned: RemoteView = { name: input.name, url, card_pubkey: input.cardPubkey, pinned_by: 'operator', token_prefix: '', added_at: 0, checked_at: null, check_outcome: null };
      throw cardMismatch(pinned, pubkey, null);
    }
    const now = this.deps.clock.now();
    const remote: RemoteView = {
      name: input.name,
      url,
      card_pubkey: pubkey,
      pinned_by: input.cardPubkey === undefined ? 'first_use' : 'operator',
      token_prefix: secretPrefix(input.token),
      added_at: now,
      checked_at: now,
      check_outcome: 'ok',
    };
    ensurePrivateDir(this.deps.dir);
    writePrivateFile(this.tokenPath(input.name), `${input.token}\n`);
    try {
      this.deps.db.transaction(() => {
        statement(
          this.deps.db,
          `INSERT INTO a2a_remotes (name, url, card_pubkey, pinned_by, token_prefix, added_at, checked_at, check_outcome)
           VALUES (@name, @url, @card_pubkey, @pinned_by, @token_prefix, @added_at, @checked_at, @check_outcome)`,
        ).run(remote);
        const { added_at: _a, checked_at: _c, check_outcome: _o, ...facts } = remote;
        this.deps.audit.append(by, { kind: 'remote_added', payload: facts });
      })();
    } catch (error) {
      rmSync(this.tokenPath(input.name), { force: true });
      throw error;
    }
    return remote;
  }

  /** `remotes check`: fetches each card again and compares its key with the pin; every outcome is stored and audited. */
  async check(name: string | undefined, by: AgentId): Promise<RemoteCheck[]> {
    const remotes = name === undefined ? this.list() : [this.require(name)];
    const checks: RemoteCheck[] = [];
    for (const remote of remotes) {
      let check: RemoteCheck = { name: remote.name, url: remote.url, ok: true, outcome: 'ok', card_pubkey: remote.card_pubkey, seen_pubkey: remote.card_pubkey, message: null };
      let mismatch: CovenantError | null = null;
      try {
        await this.connect(remote);
      } catch (error) {
        if (!(error instanceof CovenantError)) throw error;
        const seen = error.code === 'E_REMOTE_CARD_MISMATCH' ? ((error.auditEvent?.payload as { seen_pubkey?: string }).seen_pubkey ?? null) : null;
        if (error.code === 'E_REMOTE_CARD_MISMATCH') mismatch = error;
        check = { ...check, ok: false, outcome: seen === null ? 'unreachable' : 'card_mismatch', seen_pubkey: seen, message: error.message };
      }
      this.deps.db.transaction(() => {
        statement(this.deps.db, 'UPDATE a2a_remotes SET checked_at = ?, check_outcome = ? WHERE name = ?').run(this.deps.clock.now(), check.outcome, remote.name);
        this.deps.audit.append(by, { kind: 'remote_checked', payload: { name: remote.name, outcome: check.outcome, seen_pubkey: check.seen_pubkey } });
        if (mismatch?.auditEvent) this.deps.audit.append(by, { kind: 'remote_card_mismatch', payload: mismatch.auditEvent.payload as { remote: string; url: string; pinned_pubkey: string; seen_pubkey: string; task_id: null } });
      })();
      checks.push(check);
    }
    return checks;
  }

  /** `remotes remove`: forgets the remote (and its token file); `failOpen` fails its undelivered tasks in the same transaction. */
  remove(name: string, by: AgentId, failOpen: () => string[]): void {
    this.require(name);
    this.deps.db.transaction(() => {
      const failed = failOpen();
      statement(this.deps.db, 'DELETE FROM a2a_remotes WHERE name = ?').run(name);
      this.deps.audit.append(by, { kind: 'remote_removed', payload: { name, failed_tasks: failed } });
    })();
    rmSync(this.tokenPath(name), { force: true });
  }

  require(name: string): RemoteView {
    const remote = this.get(name);
    if (!remote) throw new CovenantError('E_NOT_FOUND', `no remote named ${JSON.stringify(name)}; see covenant remotes list`);
    return remote;
  }

  private tokenPath(name: string): string {
    return join(this.deps.dir, `${name}.token`);
  }
}
