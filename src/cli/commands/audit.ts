import { formatTime } from '../../core/human-time.js';
import { CovenantError } from '../../core/errors.js';
import type { ParamsInput, ResponseOf } from '../../protocol/index.js';
import { CliFailure, toFailure, type CommandOutcome, type GlobalFlags } from '../output.js';
import { purgeParams, type PurgeFlags } from '../parsers.js';
import { callDaemon, openSession, type DaemonSession } from '../session.js';

export async function auditVerifyCommand(flags: GlobalFlags): Promise<CommandOutcome> {
  const { report } = await callDaemon(flags, 'audit_verify', {});
  const human = report.valid
    ? [`audit chain valid: ${report.events} events, ${report.checkpoints} checkpoints, root ${report.root_hash_hex}`]
    : [
        `audit chain INVALID: ${report.failures.length} failure(s) in ${report.events} events`,
        ...report.failures.map((f) => `  seq ${f.seq}: ${f.reason}`),
      ];
  return { json: { kind: 'audit_integrity', report }, human, exitCode: report.valid ? 0 : 1 };
}

export async function auditCheckpointCommand(flags: GlobalFlags): Promise<CommandOutcome> {
  const { checkpoint } = await callDaemon(flags, 'audit_checkpoint', {});
  return {
    json: { kind: 'audit_checkpoint', checkpoint },
    human: checkpoint ? `checkpoint signed at seq ${checkpoint.seq} (${checkpoint.chain_hash})` : 'audit log is empty; nothing to sign',
  };
}

export interface AuditRecentOptions {
  limit?: number;
  sinceMs?: number;
  kind?: string[];
  issuer?: string;
  follow?: boolean;
}

type AuditEventLine = ResponseOf<'audit_recent'>['events'][number];

/** How often `--follow` asks for new rows, and how long it waits for a restarted daemon. */
export const FOLLOW_POLL_MS = 500;
export const FOLLOW_RECONNECT_WINDOW_MS = 10_000;
const FOLLOW_RECONNECT_RETRY_MS = 250;
const FOLLOW_PAGE = 1000;

function recentRequest(options: AuditRecentOptions, extra: { after_seq?: number; limit?: number } = {}): ParamsInput<'audit_recent'> {
  const limit = extra.limit ?? options.limit;
  return {
    ...(limit === undefined ? {} : { limit }),
    ...(options.sinceMs === undefined ? {} : { since_ms: options.sinceMs }),
    ...(extra.after_seq === undefined ? {} : { after_seq: extra.after_seq }),
    ...(options.kind && options.kind.length > 0 ? { kinds: options.kind } : {}),
    ...(options.issuer === undefined ? {} : { issuer: options.issuer }),
  };
}

export async function auditRecentCommand(flags: GlobalFlags, options: AuditRecentOptions): Promise<CommandOutcome> {
  if (options.follow) {
    await followAudit(flags, options);
    return { json: { kind: 'audit_recent' }, human: [] };
  }
  const reply = await callDaemon(flags, 'audit_recent', recentRequest(options));
  // The daemon answers newest first; lines read better oldest to newest.
  return { json: reply, human: [...reply.events].reverse().map((event) => JSON.stringify(event)) };
}

/** Follow asks often: a daemon that does not answer within 30 s is treated as lost. */
const FOLLOW_TIMEOUT_MS = 30_000;

async function recentEvents(session: DaemonSession, params: ParamsInput<'audit_recent'>): Promise<AuditEventLine[]> {
  try {
    return (await session.client.call('audit_recent', params)).events;
  } catch (error) {
    throw toFailure(error);
  }
}

function isConnectionLoss(error: unknown): boolean {
  const code = error instanceof CliFailure || error instanceof CovenantError ? error.code : null;
  return code === 'E_DAEMON_UNREACHABLE' || code === 'E_SHUTTING_DOWN';
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Waits up to FOLLOW_RECONNECT_WINDOW_MS for covenantd to answer again; null when stopped meanwhile. */
async function reconnect(flags: GlobalFlags, signal: AbortSignal): Promise<DaemonSession | null> {
  const deadline = Date.now() + FOLLOW_RECONNECT_WINDOW_MS;
  let last: string;
  while (!signal.aborted) {
    try {
      return await openSession(flags, { timeoutMs: FOLLOW_TIMEOUT_MS });
    } catch (error) {
      if (!isConnectionLoss(error)) throw error; // a refused token is not worth waiting for
      last = toFailure(error).message;
    }
    if (Date.now() >= deadline) {
      throw new CliFailure(
        'E_DAEMON_UNREACHABLE',
        `lost the connection to covenantd and it did not come back within ${FOLLOW_RECONNECT_WINDOW_MS / 1000} s (${last}); --follow stopped`,
      );
    }
    await sleep(FOLLOW_RECONNECT_RETRY_MS, signal);
  }
  return null;
}

/**
 * `audit recent --follow`: prints the matching rows, then polls `audit_recent` with `after_seq`
 * every FOLLOW_POLL_MS and prints each new row as one JSON line, until SIGINT or SIGTERM (exit
 * 0). A lost connection (covenantd restarting) is re-established once per loss within
 * FOLLOW_RECONNECT_WINDOW_MS, continuing after the last printed seq; otherwise exit 1 with the
 * reason. The caller's own `capability_check` rows for `audit.read` are not printed: every poll
 * writes one, and echoing them would make the feed report on itself.
 */
async function followAudit(flags: GlobalFlags, options: AuditRecentOptions): Promise<void> {
  const stop = new AbortController();
  let session: DaemonSession | null = null;
  const onStop = () => {
    stop.abort();
    session?.client.close(); // rejects a request in flight; the loop then ends quietly
  };
  process.once('SIGINT', onStop);
  process.once('SIGTERM', onStop);
  process.stdout.on('error', onStop); // the reader went away (e.g. `| head`)
  const print = (events: AuditEventLine[], self: DaemonSession['self']) => {
    const lines = events
      .filter((e) => !(e.kind === 'capability_check' && e.issuer?.pubkey === self.pubkey && e.payload?.required === 'audit.read'))
      .map((e) => JSON.stringify(e));
    if (lines.length > 0 && !stop.signal.aborted) process.stdout.write(`${lines.join('\n')}\n`);
  };
  try {
    let cursor = 0;
    try {
      session = await openSession(flags, { timeoutMs: FOLLOW_TIMEOUT_MS });
      const first = (await recentEvents(session, recentRequest(options))).slice().reverse();
      cursor = first.at(-1)?.seq ?? 0;
      print(first, session.self);
    } catch (error) {
      if (stop.signal.aborted) return;
      throw error;
    }
    let wait = FOLLOW_POLL_MS;
    while (!stop.signal.aborted) {
      await sleep(wait, stop.signal);
      if (stop.signal.aborted) break;
      try {
        const events = await recentEvents(session, recentRequest(options, { after_seq: cursor, limit: FOLLOW_PAGE }));
        cursor = events.at(-1)?.seq ?? cursor;
        print(events, session.self);
        wait = events.length === FOLLOW_PAGE ? 0 : FOLLOW_POLL_MS; // more waiting: fetch the next page now
      } catch (error) {
        if (stop.signal.aborted) break;
        if (!isConnectionLoss(error)) throw error;
        session.client.close();
        process.stderr.write(`covenant: lost the connection to covenantd (${toFailure(error).message}); reconnecting\n`);
        const next = await reconnect(flags, stop.signal);
        if (!next) break;
        session = next;
        process.stderr.write(`covenant: reconnected to covenantd; following after seq ${cursor}\n`);
        wait = 0;
      }
    }
  } finally {
    process.off('SIGINT', onStop);
    process.off('SIGTERM', onStop);
    process.stdout.off('error', onStop);
    session?.client.close();
  }
}

export async function auditPurgeCommand(flags: GlobalFlags, options: PurgeFlags): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, 'audit_purge', purgeParams(options));
  const human =
    reply.purged > 0
      ? `purged ${reply.purged} audit row(s) older than ${formatTime(reply.before_ms)}; the log now starts after the signed cut at seq ${String(reply.cut_seq)}`
      : `no audit rows to purge before ${formatTime(reply.before_ms)} (only the oldest rows, up to the first newer one, are purged)`;
  return { json: reply, human };
}
