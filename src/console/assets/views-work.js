// Intents, their timeline, and stuck work (SPEC 19).
import { get, post, stream } from './api.js';
import { cli, duration, errorLine, fill, h, short, table, when } from './dom.js';

const STATUSES = ['ok', 'failed', 'paused', 'ignored', 'unrouted', 'running'];
/** The audit kinds after which the intent list may have changed (INTENT_STATUS_OF_KIND of the daemon, and intent_resume_deferred). */
const INTENT_KINDS = ['intent_dispatched', 'intent_echoed', 'intent_unrouted', 'intent_failed', 'intent_ignored', 'budget_exhausted', 'budget_preempted', 'intent_resume_deferred', 'intent_resumed'];

function statusCell(intent) {
  return h('span', { className: `status-${intent.status}` }, intent.status);
}

/** Intents by status, live: the list is re-read from the daemon whenever an intent row is appended. */
export function intentsView(section, app) {
  const select = h('select', { id: 'intent-status', name: 'status' }, h('option', { value: '' }, 'any status'), ...STATUSES.map((s) => h('option', { value: s }, s)));
  const list = h('div', {});
  const timeline = h('div', { id: 'timeline', 'aria-live': 'polite' });
  let selected = null;
  const load = async () => {
    try {
      const reply = await get('/intents/list', { status: select.value, limit: 100 });
      fill(list, table(`Recent intents${select.value ? ` (${select.value})` : ''}`, [
        { label: 'when', cell: (i) => when(i.last_ms) },
        { label: 'intent', cell: (i) => h('button', { type: 'button', className: 'mono', 'aria-label': `Show the timeline of intent ${i.intent_id}`, onclick: () => openTimeline(i.intent_id) }, i.intent_id.slice(0, 8)) },
        { label: 'status', cell: statusCell },
        { label: 'agent', cell: (i) => i.agent ?? '(echo)' },
        { label: 'by', cell: (i) => i.caller.display },
        { label: 'credits', cell: (i) => i.credits, num: true },
        { label: 'reason', cell: (i) => [i.reason, i.message].filter(Boolean).join(': ') },
      ], reply.intents, 'no intents yet'));
      app.markLoaded('intents');
    } catch (error) {
      fill(list, errorLine(error));
    }
  };
  let closeTimeline = () => {};
  const openTimeline = (intentId) => {
    closeTimeline();
    selected = intentId;
    const rows = h('ol', {});
    const receipts = h('div', {});
    const state = h('p', { className: 'muted' }, 'connecting…');
    fill(timeline, h('h3', { tabindex: '-1', id: 'timeline-title' }, `Timeline of intent ${intentId}`), state, h('div', { className: 'timeline' }, rows), receipts);
    const loadReceipts = async () => {
      try {
        const reply = await get('/receipts/recent', { intent_id: intentId, limit: 50 });
        fill(receipts, table('Its receipts', [
          { label: 'settled', cell: (r) => when(r.settled_at) },
          { label: 'resource', cell: (r) => r.resource },
          { label: 'status', cell: (r) => r.status },
          { label: 'credits', cell: (r) => r.credits_consumed, num: true },
          { label: 'batch', cell: (r) => (r.batch_id ? short(r.batch_id) : 'unbatched') },
        ], reply.receipts, 'no receipts'));
      } catch (error) {
        fill(receipts, errorLine(error));
      }
    };
    void loadReceipts();
    closeTimeline = stream(`/intents/${encodeURIComponent(intentId)}/events`, {}, (row) => {
      rows.append(h('li', { 'data-kind': row.kind }, `${when(row.timestamp_ms)} · `, h('strong', {}, row.kind), ` · ${row.issuer.display} · `, h('code', {}, summarize(row.payload))));
      void loadReceipts();
    }, (s) => { state.textContent = s === 'live' ? 'live: new rows appear as they are written' : s; });
    document.getElementById('timeline-title')?.focus();
  };
  select.addEventListener('change', () => void load());
  const closeFeed = stream('/audit/stream', { kinds: INTENT_KINDS.join(',') }, () => void load());
  app.onLeave(() => { closeFeed(); closeTimeline(); });
  fill(section,
    h('h2', { tabindex: '-1' }, 'Intents'),
    h('form', { className: 'filters', onsubmit: (e) => e.preventDefault() }, h('label', { for: 'intent-status' }, 'Status', select)),
    list, timeline);
  void load();
  return { select: (id) => (id ? openTimeline(id) : selected) };
}

/** One line of a payload: its fields, hashes cut short. */
function summarize(payload) {
  return Object.entries(payload ?? {})
    .filter(([key]) => !key.endsWith('sha256'))
    .map(([key, value]) => `${key}=${typeof value === 'object' ? JSON.stringify(value) : String(value)}`)
    .join(' ')
    .slice(0, 300);
}

/** Paused intents with their refill ETA and a Resume button; the A2A leases, when this daemon has a mailbox. */
export function stuckView(section, app) {
  const list = h('div', {});
  const load = async () => {
    try {
      const reply = await get('/intents/list', { status: 'paused', limit: 200 });
      fill(list, table('Paused intents', [
        { label: 'paused at', cell: (i) => when(i.last_ms) },
        { label: 'intent', cell: (i) => short(i.intent_id) },
        { label: 'agent', cell: (i) => i.agent ?? '' },
        { label: 'why', cell: (i) => i.reason },
        { label: 'refill ETA', cell: (i) => (i.refill_eta_ms === 0 ? 'now' : duration(i.refill_eta_ms)) },
        { label: 'action', cell: (i) => h('span', {}, h('button', { type: 'button', 'aria-label': `Resume intent ${i.intent_id}`, onclick: () => resume(i.intent_id) }, 'Resume'), ' ', cli(`covenant intents resume ${i.intent_id}`)) },
      ], reply.intents, 'nothing is paused'));
      app.markLoaded('stuck');
    } catch (error) {
      fill(list, errorLine(error));
    }
  };
  const resume = async (intentId) => {
    try {
      const reply = await post('/intents/resume', { intent_id: intentId });
      app.notify(reply.mode === 'resumed' ? `Intent ${intentId} resumed: ${reply.status}` : `Intent ${intentId} is still paused (refill in ${duration(reply.refill_eta_ms)})`);
    } catch (error) {
      app.fail(error);
    }
    await load();
  };
  fill(section,
    h('h2', { tabindex: '-1' }, 'Stuck work'),
    list,
    h('h3', {}, 'Stale A2A leases'),
    h('p', { className: 'muted' }, 'The console does not show the A2A mailbox yet: see `covenant a2a status`, then `covenant a2a requeue` or `covenant a2a force-error`.'));
  void load();
}
