import { latestIntentRows, type AuditEvent } from '../../audit/index.js';
import type { IntentSummarySchema, ResponseOf } from '../../protocol/index.js';
import type { z } from 'zod';
import { visibleOwner } from '../caller.js';
import type { DaemonContext } from '../context.js';
import type { HandlerGroup } from './handler.js';

type IntentStatus = NonNullable<ResponseOf<'intents_list'>['status']>;
type IntentSummary = z.infer<typeof IntentSummarySchema>;

/** Which audit row kinds settle an intent in each status (the newest such row is its status). */
const STATUS_KINDS: Record<IntentStatus, readonly string[]> = {
  ok: ['intent_dispatched', 'intent_echoed'],
  failed: ['intent_failed'],
  ignored: ['intent_ignored'],
  paused: ['budget_exhausted', 'budget_preempted', 'intent_resume_deferred'],
};
const DEFAULT_LIMIT = 50;

function statusOf(kind: string): IntentStatus {
  for (const [status, kinds] of Object.entries(STATUS_KINDS)) if (kinds.includes(kind)) return status as IntentStatus;
  throw new Error(`not an intent status row: ${kind}`);
}

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

function summary(ctx: DaemonContext, row: AuditEvent): IntentSummary {
  const payload = row.payload;
  const status = statusOf(row.kind);
  const agent = text(payload.agent);
  const base = {
    intent_id: String(payload.intent_id),
    status,
    agent,
    issuer: row.issuer,
    credits: typeof payload.credits === 'number' ? payload.credits : 0,
    reason: null,
    message: null,
    at: row.timestamp_ms,
    refill_eta_ms: null,
  };
  switch (row.kind) {
    case 'intent_failed':
      return { ...base, reason: text(payload.reason), message: text(payload.message) };
    case 'intent_ignored':
      return { ...base, reason: 'ignored', message: `matched .covenantignore rule ${text(payload.matched_rule) ?? '(unknown)'}` };
    default:
      if (status !== 'paused') return base;
      // The ETA as of now, from the agent's budget (the row's own ETA is as of the pause).
      return {
        ...base,
        reason: row.kind,
        refill_eta_ms: (agent === null ? undefined : ctx.budget.status(agent)[0]?.refill_eta_ms) ?? Number(payload.refill_eta_ms),
      };
  }
}

export const intentListHandlers: HandlerGroup<'intents_list'> = {
  intents_list: (params, { caller }, ctx) => {
    const limit = params.limit ?? DEFAULT_LIMIT;
    const rows = latestIntentRows(ctx.db, {
      limit,
      visibleTo: visibleOwner(caller),
      ...(params.status === undefined ? {} : { kinds: STATUS_KINDS[params.status] }),
    });
    return { kind: 'intents_list', status: params.status ?? null, limit, intents: rows.map((row) => summary(ctx, row)) };
  },
};
