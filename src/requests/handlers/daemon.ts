import { queryAuditEvents } from '../../audit/index.js';
import { PROTOCOL_VERSION } from '../../protocol/index.js';
import type { HandlerGroup } from './handler.js';

export const daemonHandlers: HandlerGroup<'ping' | 'status'> = {
  ping: () => ({ kind: 'daemon_ping', status: 'ok' }),
  status: (_params, _scope, ctx) => {
    const [head] = queryAuditEvents(ctx.db, { limit: 1, visibleTo: null }); // operator only: every row
    let paused = 0;
    for (const count of ctx.budget.store.openCheckpointCounts().values()) paused += count;
    return {
      kind: 'daemon_status',
      daemon_version: ctx.daemonVersion,
      protocol_version: PROTOCOL_VERSION,
      pid: process.pid,
      // The serving process's own start and age: covenantd is one process.
      started_at: Math.round(performance.timeOrigin),
      uptime_ms: Math.round(performance.now()),
      agents: ctx.runtime.agents.list().length,
      paused_intents: paused,
      audit_head: head ? { seq: head.seq, chain_hash: head.chain_hash, timestamp_ms: head.timestamp_ms } : null,
    };
  },
};
