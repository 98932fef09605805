// Audit feed, peers and capabilities, agents and tools, receipts and batches, coverage (SPEC 19).
import { get, post, stream } from './api.js';
import { cli, errorLine, fill, h, shellWord, short, table, when } from './dom.js';

function payloadText(payload) {
  return JSON.stringify(payload).slice(0, 240);
}

/** The audit tail: the newest rows, then each new one live; filters are the daemon's own (kinds, issuer). */
export function auditView(section, app) {
  const kinds = h('input', { id: 'audit-kinds', name: 'kinds', placeholder: 'e.g. intent_failed,peer_revoked', autocomplete: 'off' });
  const issuer = h('input', { id: 'audit-issuer', name: 'issuer', placeholder: 'pubkey prefix', autocomplete: 'off' });
  const state = h('p', { className: 'muted' });
  const body = h('tbody', {});
  const wrap = h('div', { className: 'table-wrap' }, h('table', {},
    h('caption', {}, 'Audit rows, newest first'),
    h('thead', {}, h('tr', {}, ...['seq', 'when', 'kind', 'issuer', 'payload'].map((l) => h('th', { scope: 'col' }, l)))),
    body));
  const rowOf = (e) => h('tr', { 'data-kind': e.kind }, h('td', { className: 'num' }, e.seq), h('td', {}, when(e.timestamp_ms)), h('td', {}, e.kind), h('td', {}, e.issuer.display), h('td', {}, h('code', {}, payloadText(e.payload))));
  let close = () => {};
  const apply = async () => {
    close();
    const filters = { kinds: kinds.value.split(',').map((k) => k.trim()).filter(Boolean), issuer: issuer.value.trim() };
    try {
      const reply = await get('/audit/recent', { limit: 100, kinds: filters.kinds, issuer: filters.issuer });
      body.replaceChildren(...reply.events.map(rowOf));
      close = stream('/audit/stream', { kinds: filters.kinds.join(','), issuer: filters.issuer }, (e) => {
        body.prepend(rowOf(e));
        while (body.children.length > 500) body.lastElementChild?.remove();
      }, (s) => { state.textContent = s === 'live' ? 'live tail' : s; });
      app.markLoaded('audit');
    } catch (error) {
      fill(state, errorLine(error));
    }
  };
  app.onLeave(() => close());
  fill(section,
    h('h2', { tabindex: '-1' }, 'Audit feed'),
    h('form', { className: 'filters', onsubmit: (e) => { e.preventDefault(); void apply(); } },
      h('label', { for: 'audit-kinds' }, 'Kinds (comma-separated)', kinds),
      h('label', { for: 'audit-issuer' }, 'Issuer', issuer),
      h('button', { type: 'submit' }, 'Apply filters')),
    state, wrap);
  void apply();
}

/** Peers and capabilities: list, revoke, grant. Each button shows the CLI line of the same request. */
export function peersView(section, app) {
  const peers = h('div', {});
  const caps = h('div', {});
  const load = async () => {
    try {
      const [p, c] = await Promise.all([get('/peers/list', { limit: 200 }), get('/capabilities/recent', { limit: 200 })]);
      fill(peers, table('Peers (tokens)', [
        { label: 'who', cell: (x) => x.agent_id.display },
        { label: 'pubkey', cell: (x) => short(x.agent_id.pubkey) },
        { label: 'token', cell: (x) => h('span', { className: 'mono' }, x.token_prefix) },
        { label: 'registered', cell: (x) => when(x.registered_at) },
        { label: 'revoked', cell: (x) => (x.revoked_at === null ? 'live' : when(x.revoked_at)) },
        { label: 'action', cell: (x) => (x.revoked_at !== null ? '' : h('span', {}, h('button', { type: 'button', 'aria-label': `Revoke the token ${x.token_prefix} of ${x.agent_id.display}`, onclick: () => revokePeer(x.token_prefix) }, 'Revoke'), ' ', cli(`covenant peers revoke ${x.token_prefix}`))) },
      ], p.peers));
      fill(caps, table('Capabilities', [
        { label: 'id', cell: (x) => short(x.id) },
        { label: 'action', cell: (x) => x.action },
        { label: 'subject', cell: (x) => x.subject.display },
        { label: 'scope', cell: (x) => h('code', {}, JSON.stringify(x.scope)) },
        { label: 'expires', cell: (x) => (x.expires_at === null ? 'never' : when(x.expires_at)) },
        { label: 'delegated from', cell: (x) => (x.parent_id ? short(x.parent_id) : '') },
        { label: 'state', cell: (x) => (x.revoked_at === null ? 'live' : `revoked ${when(x.revoked_at)}`) },
        { label: 'action', cell: (x) => (x.revoked_at !== null ? '' : h('span', {}, h('button', { type: 'button', 'aria-label': `Revoke capability ${x.action} of ${x.subject.display} (${x.id})`, 'data-capability': x.id, onclick: () => revokeCap(x.id) }, 'Revoke'), ' ', cli(`covenant capabilities revoke ${x.id}`))) },
      ], c.capabilities));
      app.markLoaded('peers');
    } catch (error) {
      fill(peers, errorLine(error));
    }
  };
  const revokePeer = async (prefix) => {
    try {
      const reply = await post('/peers/revoke', { token_prefix: prefix });
      app.notify(`peers revoke ${prefix}: ${reply.outcome.type}${reply.outcome.message ? ` (${reply.outcome.message})` : ''}`);
    } catch (error) {
      app.fail(error);
    }
    await load();
  };
  const revokeCap = async (id) => {
    try {
      const reply = await post('/capabilities/revoke', { id_or_signature: id });
      app.notify(`Capability ${reply.id} revoked (${reply.removed.length} removed with it)`);
    } catch (error) {
      app.fail(error);
    }
    await load();
  };
  fill(section, h('h2', { tabindex: '-1' }, 'Peers and capabilities'), peers, grantForm(app, load), caps);
  void load();
}

function grantForm(app, reload) {
  const action = h('input', { id: 'grant-action', name: 'action', required: true, placeholder: 'memory.read', autocomplete: 'off' });
  const to = h('input', { id: 'grant-to', name: 'to', placeholder: 'alice@peer (empty: yourself)', autocomplete: 'off' });
  const scope = h('textarea', { id: 'grant-scope', name: 'scope', placeholder: '{"tier":"working"}' });
  const delegate = h('input', { id: 'grant-delegate', name: 'delegate', type: 'checkbox' });
  const minutes = h('input', { id: 'grant-expires', name: 'expires', type: 'number', min: '1', step: '1', placeholder: 'never' });
  const line = h('p', {});
  const request = () => {
    const text = scope.value.trim();
    const parsed = text === '' ? {} : JSON.parse(text);
    if (delegate.checked) parsed.delegate = true;
    const params = { action: action.value.trim() };
    if (to.value.trim() !== '') params.to = to.value.trim();
    if (Object.keys(parsed).length > 0) params.scope = parsed;
    if (minutes.value !== '') params.expires_in_ms = Number(minutes.value) * 60_000;
    return params;
  };
  const preview = () => {
    try {
      const p = request();
      const words = ['covenant', 'capabilities', 'grant', shellWord(p.action || '<action>')];
      if (p.to) words.push('--to', shellWord(p.to));
      if (p.scope) words.push('--scope', shellWord(JSON.stringify(p.scope)));
      if (p.expires_in_ms) words.push('--expires-in', `${p.expires_in_ms / 60_000}m`);
      fill(line, cli(words.join(' ')));
    } catch {
      fill(line, h('span', { className: 'error' }, 'the scope must be a JSON object'));
    }
  };
  const form = h('form', { className: 'grant', 'aria-labelledby': 'grant-title', oninput: preview, onsubmit: async (e) => {
    e.preventDefault();
    try {
      const reply = await post('/capabilities/grant', request());
      app.notify(`Granted ${reply.action} to ${reply.subject_display} (${reply.id})`);
      await reload();
    } catch (error) {
      app.fail(error);
    }
  } },
  h('label', { for: 'grant-action' }, 'Action', action),
  h('label', { for: 'grant-to' }, 'To', to),
  h('label', { for: 'grant-scope' }, 'Scope (JSON object)', scope),
  h('label', { for: 'grant-delegate', className: 'inline' }, delegate, 'may delegate'),
  h('label', { for: 'grant-expires' }, 'Expires in (minutes)', minutes),
  h('button', { type: 'submit' }, 'Grant'));
  preview();
  return h('section', { 'aria-labelledby': 'grant-title' }, h('h3', { id: 'grant-title' }, 'Grant a capability'), form, line);
}

/** Installed agents with their budgets, and the MCP tool servers with their state. */
export function agentsView(section, app) {
  const out = h('div', {});
  fill(section, h('h2', { tabindex: '-1' }, 'Agents and tools'), out);
  void (async () => {
    try {
      const [agents, budgets, servers] = await Promise.all([get('/agents/list'), get('/budget/status'), get('/tools/servers')]);
      const budgetOf = new Map(budgets.budgets.map((b) => [b.agent, b]));
      fill(out,
        table('Installed agents', [
          { label: 'id', cell: (a) => a.id },
          { label: 'version', cell: (a) => a.version },
          { label: 'backend', cell: (a) => a.backend },
          { label: 'warm', cell: (a) => (a.warm ? 'yes' : 'no') },
          { label: 'budget/h', cell: (a) => budgetOf.get(a.id)?.credits_per_hour ?? 'unlimited', num: true },
          { label: 'balance', cell: (a) => budgetOf.get(a.id)?.balance ?? '', num: true },
          { label: 'paused', cell: (a) => budgetOf.get(a.id)?.paused_intents ?? 0, num: true },
          { label: 'installed', cell: (a) => when(a.installed_at) },
        ], agents.agents, 'no agents installed'),
        table('MCP tool servers', [
          { label: 'server', cell: (s) => s.name },
          { label: 'state', cell: (s) => s.state },
          { label: 'restarts', cell: (s) => s.restarts, num: true },
          { label: 'tools', cell: (s) => s.tools.join(', ') },
          { label: 'last error', cell: (s) => s.last_error ?? '' },
        ], servers.servers, 'no MCP servers configured'));
      app.markLoaded('agents');
    } catch (error) {
      fill(out, errorLine(error));
    }
  })();
}

/** Receipts and the batches they were settled in. */
export function receiptsView(section, app) {
  const out = h('div', {});
  fill(section, h('h2', { tabindex: '-1' }, 'Receipts and batches'), out);
  void (async () => {
    try {
      const [status, receipts, batches] = await Promise.all([get('/chain/status'), get('/receipts/recent', { limit: 100 }), get('/chain/batches', { limit: 50 })]);
      fill(out,
        h('p', {}, `Chain backend ${status.status.backend}: ${status.status.ready ? 'ready' : `not ready (missing ${status.status.missing.join(', ')})`}; ${status.status.pending_receipts} receipts not yet batched.`),
        table('Recent receipts', [
          { label: 'settled', cell: (r) => when(r.settled_at) },
          { label: 'id', cell: (r) => short(r.id) },
          { label: 'resource', cell: (r) => r.resource },
          { label: 'status', cell: (r) => r.status },
          { label: 'credits', cell: (r) => r.credits_consumed, num: true },
          { label: 'intent', cell: (r) => (r.intent_id ? short(r.intent_id) : '') },
          { label: 'batch', cell: (r) => (r.batch_id ? short(r.batch_id) : 'unbatched') },
        ], receipts.receipts, 'no receipts'),
        table('Batches', [
          { label: 'created', cell: (b) => when(b.created_at) },
          { label: 'batch', cell: (b) => short(b.batch_id) },
          { label: 'receipts', cell: (b) => b.receipt_count, num: true },
          { label: 'merkle root', cell: (b) => short(b.merkle_root, 12) },
          { label: 'chain', cell: (b) => b.chain },
          { label: 'tx', cell: (b) => (b.tx_sig ? short(b.tx_sig, 12) : '') },
        ], batches.batches, 'no batches flushed'));
      app.markLoaded('receipts');
    } catch (error) {
      fill(out, errorLine(error));
    }
  })();
}

/** The live coverage matrix of the installed package (SPEC 17). */
export function coverageView(section, app) {
  const out = h('div', {});
  fill(section, h('h2', { tabindex: '-1' }, 'Live coverage'), out);
  void (async () => {
    try {
      const reply = await get('/coverage');
      fill(out, table('Surfaces and their tests', [
        { label: 'surface', cell: (s) => h('span', { title: s.id }, s.name) },
        { label: 'status', cell: (s) => s.status },
        { label: 'mock tests', cell: (s) => s.mockTests.length, num: true },
        { label: 'live tests', cell: (s) => s.liveTests.map((t) => t.replace(/^test\/live\//, '')).join(', ') || '—' },
        { label: 'next gap', cell: (s) => s.nextGap ?? '' },
      ], reply.surfaces));
      app.markLoaded('coverage');
    } catch (error) {
      fill(out, errorLine(error));
    }
  })();
}

