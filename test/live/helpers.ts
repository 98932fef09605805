// Helpers shared by the live tests: checking the CLI's `--json` answers, adding peers, reading
// the audit feed, and opening the real covenant.db of a live home.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { auditPayloads as auditPayloadsOf, auditRows as auditRowsOf, type AuditRow } from '../helpers/audit-rows.js';
import type { CliResult } from '../helpers/binaries.js';
import type { LiveHome } from './harness.js';

export { sleep } from '../helpers/wait.js';

// ------------------------------------------------------------------------- CLI answers

/** A successful `--json` run: exit 0, nothing on stderr, exactly one JSON object of `kind`. */
export function okJson(result: CliResult, kind: string): Record<string, unknown> {
  assert.equal(result.code, 0, `exit ${result.code}: ${result.stdout}${result.stderr}`);
  assert.equal(result.stderr, '');
  assert.equal(result.stdout.trim().split('\n').length, 1, 'exactly one line');
  assert.ok(result.json, `not JSON: ${result.stdout}`);
  assert.equal(result.json.kind, kind);
  return result.json;
}

/** A refused `--json` run: exit 1 and the error object (or refusal outcome) on stdout. */
export function refusedJson(result: CliResult): Record<string, unknown> {
  assert.equal(result.code, 1, `exit ${result.code}: ${result.stdout}${result.stderr}`);
  assert.equal(result.stdout.trim().split('\n').length, 1);
  assert.ok(result.json, `not JSON: ${result.stdout}`);
  return result.json;
}

/** A refused `--json` run answered with `{kind:"error", code}` on one line of stdout. */
export function errorJson(result: CliResult, code: string): Record<string, unknown> {
  const json = refusedJson(result);
  assert.equal(json.kind, 'error');
  assert.equal(json.code, code, String(json.message));
  return json;
}

// ------------------------------------------------------------------------------ budgets

/**
 * Empties the bucket of a fixture agent holding one credit, however busy the machine: an intent
 * that would sleep 10 minutes is preempted when its credit's second is up and charged for it (a
 * quick run would instead have to finish within that second). Returns the preempted intent's id.
 */
export function exhaustByPreemption(live: LiveHome, agent: string): string {
  const preempted = live.cli(['intent', '--json', '--agent', agent, `${agent} sleep:600000`]);
  assert.equal(preempted.code, 1, `a paused intent exits 1: ${preempted.stdout}${preempted.stderr}`);
  assert.equal(preempted.json?.status, 'paused');
  assert.match(String(preempted.json?.text), /preempted/);
  return String(preempted.json?.intent_id);
}

// ------------------------------------------------------------------------------- peers

export interface LivePeer {
  token: string;
  agent: { display: string; pubkey: string };
  pubkey: string;
  /** `<name>.token` next to the home (mode 0600), for `--token-file`. */
  tokenFile: string;
}

/** Writes `token` to `<name>.token` next to the home (mode 0600); returns the path. */
export function writeTokenFile(live: LiveHome, name: string, token: string): string {
  const tokenFile = join(live.home, '..', `${name}.token`);
  writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
  return tokenFile;
}

/** `covenant peers add <name> --json`, with the new token also written to a token file. */
export function addPeer(live: LiveHome, name: string): LivePeer {
  const json = okJson(live.cli(['peers', 'add', name, '--json']), 'peer_added');
  const token = String(json.token_b58);
  const agent = json.agent_id as { display: string; pubkey: string };
  return { token, agent, pubkey: agent.pubkey, tokenFile: writeTokenFile(live, name, token) };
}

// ------------------------------------------------------------------------------- audit

export interface AuditEventView {
  issuer: { pubkey: string };
  payload: Record<string, unknown>;
}

/** The newest (at most 200) audit events of `kind`, through `covenant audit recent --json`. */
export function auditEvents(live: LiveHome, kind: string): AuditEventView[] {
  const json = okJson(live.cli(['audit', 'recent', '--json', '-n', '200', '--kind', kind]), 'audit_recent');
  return json.events as AuditEventView[];
}

// ---------------------------------------------------------------------------- database

function withDb<T>(home: string, options: Database.Options, fn: (db: Database.Database) => T): T {
  const db = new Database(join(home, 'covenant.db'), options);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

/** Runs `fn` on the real covenant.db of a live home opened read-only (the daemon is the only writer). */
export function readDb<T>(home: string, fn: (db: Database.Database) => T): T {
  return withDb(home, { readonly: true, fileMustExist: true }, fn);
}

/** Runs `fn` on the covenant.db of a live home opened for writing (stop the daemon first). */
export function editDb<T>(home: string, fn: (db: Database.Database) => T): T {
  return withDb(home, {}, fn);
}

/** All rows of a read-only query on the covenant.db of a live home. */
export function query<T>(home: string, sql: string, ...args: unknown[]): T[] {
  return readDb(home, (db) => db.prepare(sql).all(...args) as T[]);
}

/** The audit rows of `kind` in the database, oldest first, payloads parsed. */
export function auditRows(home: string, kind: string): AuditRow[] {
  return readDb(home, (db) => auditRowsOf(db, kind));
}

/** The parsed payloads of the audit rows of `kind` in the database, oldest first. */
export function auditPayloads(home: string, kind: string): Array<Record<string, unknown>> {
  return readDb(home, (db) => auditPayloadsOf(db, kind));
}

// ------------------------------------------------------------------------- HTTP gateway

/** A port that was free a moment ago: listen on port 0, read it, close. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (typeof address !== 'object' || address === null) return reject(new Error('no port'));
      server.close(() => resolve(address.port));
    });
  });
}

export async function waitForHealth(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(`${url}/health`);
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the gateway at ${url} did not answer /health within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Starts the real covenantd with its gateway on a free loopback port (or `port`, to restart on the same one); returns the base URL. */
export async function startWithHttp(live: LiveHome, port?: number): Promise<string> {
  port ??= await freePort();
  live.env.COVENANT_HTTP_PORT = String(port);
  live.env.COVENANT_HTTP_BIND_ADDR = '127.0.0.1';
  await live.start([]);
  const url = `http://127.0.0.1:${port}`;
  await waitForHealth(url);
  return url;
}
