import { formatTime } from '../../core/human-time.js';
import { CovenantError } from '../../core/errors.js';
import type { ParamsInput } from '../../protocol/index.js';
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

/** How long `--follow` waits for a restarted daemon. */
export const FOLLOW_RECONNECT_WINDOW_MS = 10_000;
const FOLLOW_RECONNECT_RETRY_MS = 250;

function recentRequest(options: AuditRecentOptions): ParamsInput<'audit_recent'> {
  return {
    ...(options.limit === undefined ? {} : { limit: options.limit }),
    ...(options.sinceMs === undefined ? {} : { since_ms: options.sinceMs }),
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

/** Connecting and the follow answer: a daemon that does not answer within 30 s is treated as lost. */
const FOLLOW_TIMEOUT_MS = 30_000;

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

/** A follow session: authenticated, `audit_follow` accepted (after `afterSeq` when reconnecting). */
async function startFollowing(flags: GlobalFlags, options: AuditRecentOptions, afterSeq: number | null): Promise<DaemonSession & { headSeq: number }> {
  const session = await openSession(flags, { timeoutMs: FOLLOW_TIMEOUT_MS });
  try {
    const ack = await session.client.followAudit({ ...recentRequest(options), ...(afterSeq === null ? {} : { after_seq: afterSeq }) });
    return { ...session, headSeq: ack.head_seq };
  } catch (error) {
    session.client.close();
    throw toFailure(error);
  }
}

/** Waits up to FOLLOW_RECONNECT_WINDOW_MS for covenantd to answer again; null when stopped meanwhile. */
async function reconnect(flags: GlobalFlags, options: AuditRecentOptions, afterSeq: number, signal: AbortSignal): Promise<(DaemonSession & { headSeq: number }) | null> {
  const deadline = Date.now() + FOLLOW_RECONNECT_WINDOW_MS;
  let last: string;
  while (!signal.aborted) {
    try {
      return await startFollowing(flags, options, afterSeq);
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
 * `audit recent --follow`: one `audit_follow` subscription (one capability check, one audit
 * row); the daemon sends the newest matching rows, then pushes each new one as it is appended,
 * printed as one JSON line, until SIGINT or SIGTERM (exit 0). When covenantd stops (a
 * `stream_end` E_SHUTTING_DOWN, or the connection lost) it follows again within
 * FOLLOW_RECONNECT_WINDOW_MS, after the last printed seq, so no row is missed; otherwise exit 1
 * with the reason. A revoked token ends it with exit 1. The caller's own `capability_check`
 * rows for `audit.read` (one per subscription) are not printed.
 */
async function followAudit(flags: GlobalFlags, options: AuditRecentOptions): Promise<void> {
  const stop = new AbortController();
  let session: (DaemonSession & { headSeq: number }) | null = null;
  const onStop = () => {
    stop.abort();
    session?.client.close(); // rejects the wait for the next row; the loop then ends quietly
  };
  process.once('SIGINT', onStop);
  process.once('SIGTERM', onStop);
  process.stdout.on('error', onStop); // the reader went away (e.g. `| head`)
  try {
    try {
      session = await startFollowing(flags, options, null);
    } catch (error) {
      if (stop.signal.aborted) return;
      throw error;
    }
    // Reconnecting asks for the rows after the last one seen, or after the head when following began.
    let cursor = session.headSeq;
    while (!stop.signal.aborted) {
      let lost: string;
      try {
        const push = await session.client.nextPush();
        if (push.kind === 'audit_event') {
          const event = push.event;
          cursor = Math.max(cursor, event.seq);
          const own = event.kind === 'capability_check' && event.issuer.pubkey === session.self.pubkey && event.payload.required === 'audit.read';
          if (!own && !stop.signal.aborted) process.stdout.write(`${JSON.stringify(event)}\n`);
          continue;
        }
        if (push.code !== 'E_SHUTTING_DOWN') throw new CliFailure(push.code, push.message);
        lost = push.message;
      } catch (error) {
        if (stop.signal.aborted) break;
        if (!isConnectionLoss(error)) throw error;
        lost = toFailure(error).message;
      }
      session.client.close();
      process.stderr.write(`covenant: lost the connection to covenantd (${lost}); reconnecting\n`);
      const next = await reconnect(flags, options, cursor, stop.signal);
      if (!next) break;
      session = next;
      process.stderr.write(`covenant: reconnected to covenantd; following after seq ${cursor}\n`);
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
