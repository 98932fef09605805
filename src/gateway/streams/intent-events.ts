import { intentTimelineRows } from '../../audit/index.js';
import { CovenantError } from '../../core/index.js';
import { auditRowVisibleTo, visibleOwner } from '../../requests/index.js';
import type { EventStreamDefinition } from './definition.js';

/** How many past rows of one intent the stream replays before the live ones. */
export const INTENT_REPLAY_LIMIT = 1000;
const INTENT_ID = /^[0-9a-f-]{36}$/;

/**
 * `GET /intents/:id/events` (SPEC 4): the intent's timeline, its audit rows (those whose payload
 * names it), first the ones already written, oldest first, then each new one as it is appended,
 * as `event: audit`, `id: <seq>`. `open` runs synchronously, and so does every append: no row
 * can fall between the replay and the subscription.
 */
export const intentEventsStream: EventStreamDefinition = {
  name: 'intent_events',
  summary: "Server-sent events: one intent's audit rows, those already written (oldest first) then each new one (`event: audit`, `id: <seq>`); needs audit.read.",
  path: '/intents/:id/events',
  authorize: () => ({ action: 'audit.read' }),
  open(ctx, caller, params, sink) {
    const intentId = params.id ?? '';
    if (!INTENT_ID.test(intentId)) throw new CovenantError('E_BAD_REQUEST', 'the intent id must be a UUID (see `covenant intents list`)');
    for (const event of intentTimelineRows(ctx.db, { intentId, limit: INTENT_REPLAY_LIMIT, visibleTo: visibleOwner(caller) })) {
      sink.send({ event: 'audit', id: String(event.seq), data: event });
    }
    return ctx.audit.subscribe((event) => {
      if (event.payload.intent_id === intentId && auditRowVisibleTo(caller, event)) sink.send({ event: 'audit', id: String(event.seq), data: event });
    });
  },
};
