// The operator console (SPEC 19): signs in with the one-time code of `covenant console`, then
// shows views fed only by the gateway's routes. docs/console.md describes it.
import { ApiError, get, post } from './api.js';
import { describe, errorLine, fill, h, duration } from './dom.js';
import { agentsView, auditView, coverageView, peersView, receiptsView } from './views-admin.js';
import { intentsView, stuckView } from './views-work.js';

const VIEWS = [
  { id: 'intents', label: 'Intents', render: intentsView },
  { id: 'stuck', label: 'Stuck work', render: stuckView },
  { id: 'audit', label: 'Audit feed', render: auditView },
  { id: 'peers', label: 'Peers and capabilities', render: peersView },
  { id: 'agents', label: 'Agents and tools', render: agentsView },
  { id: 'receipts', label: 'Receipts and batches', render: receiptsView },
  { id: 'coverage', label: 'Live coverage', render: coverageView },
];

const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
let leaving = [];
let session = null;

const app = {
  notify(text) {
    fill($('notice'), h('span', {}, text));
  },
  fail(error) {
    fill($('notice'), h('span', { className: 'error' }, describe(error)));
    if (error instanceof ApiError && error.status === 401) signedOut('The console session ended; run `covenant console` for a new login URL.');
  },
  onLeave(fn) {
    leaving.push(fn);
  },
  /** Marks a view as loaded (the browser tests wait for it). */
  markLoaded(id) {
    document.body.dataset.loaded = id;
  },
};

function show(id, focus = true) {
  for (const fn of leaving) fn();
  leaving = [];
  const view = VIEWS.find((v) => v.id === id) ?? VIEWS[0];
  for (const button of $('views').querySelectorAll('button')) {
    if (button.dataset.view === view.id) button.setAttribute('aria-current', 'page');
    else button.removeAttribute('aria-current');
  }
  const section = h('section', { id: `view-${view.id}`, 'aria-label': view.label });
  fill($('notice'));
  fill($('main'), section);
  delete document.body.dataset.loaded;
  view.render(section, app);
  if (focus) section.querySelector('h2')?.focus();
  void health();
}

async function health() {
  const strip = $('health');
  const badge = (ok, text, title) => h('span', { className: `badge ${ok === true ? 'ok' : ok === false ? 'bad' : 'skip'}`, title: title ?? text }, text);
  try {
    const [status, verify, doctor, chain] = await Promise.all([get('/status'), get('/audit/verify'), get('/doctor'), get('/chain/status')]);
    const v = verify.report;
    fill(strip,
      badge(true, `covenantd ${status.daemon_version}, up ${duration(status.uptime_ms)}`),
      badge(v.valid, v.valid ? `audit chain verified (${v.events} rows)` : `audit chain BROKEN at seq ${v.failures[0]?.seq ?? '?'}`),
      badge(status.paused_intents === 0 ? true : null, `${status.paused_intents} paused intents`),
      badge(chain.status.ready, `chain ${chain.status.backend}${chain.status.ready ? '' : ' (not ready)'}`),
      ...doctor.checks.map((c) => badge(c.ok, `${c.name}${c.ok === false ? ': broken' : ''}`, `${c.detail}${c.fix ? ` — fix: ${c.fix}` : ''}`)));
  } catch (error) {
    fill(strip, errorLine(error));
  }
}

function signedOut(text) {
  session = null;
  for (const fn of leaving) fn();
  leaving = [];
  $('health').hidden = true;
  $('views').hidden = true;
  $('sign-out').hidden = true;
  $('whoami').textContent = '';
  fill($('main'), h('section', { id: 'login', 'aria-labelledby': 'login-title' }, h('h2', { id: 'login-title' }, 'Sign in'), h('p', { id: 'login-text' }, text)));
  document.body.dataset.session = 'none';
}

function signedIn(whoami) {
  session = whoami;
  $('whoami').textContent = `Signed in as ${whoami.agent.display} (console session ${whoami.token_prefix}; \`covenant peers revoke ${whoami.token_prefix}\` ends it)`;
  $('sign-out').hidden = false;
  $('health').hidden = false;
  const nav = $('views');
  nav.hidden = false;
  fill(nav, ...VIEWS.map((v) => h('button', { type: 'button', 'data-view': v.id, onclick: () => show(v.id) }, v.label)));
  document.body.dataset.session = whoami.token_prefix;
  show('intents', false);
}

async function signOut() {
  if (!session) return;
  try {
    // The session's own token, revoked through the request table like any other.
    await post('/peers/revoke', { token_prefix: session.token_prefix, force: true });
  } catch (error) {
    app.fail(error);
    return;
  }
  signedOut('Signed out. Run `covenant console` to sign in again.');
}

async function boot() {
  $('sign-out').addEventListener('click', () => void signOut());
  const code = new URLSearchParams(location.hash.slice(1)).get('code');
  if (code) {
    // The code is single-use: drop it from the address bar and history at once.
    history.replaceState(null, '', location.pathname);
    try {
      await post('/console/session', { code });
    } catch (error) {
      signedOut(`This login code was refused (${describe(error)}). Run \`covenant console\` for a new one: codes work once, within 2 minutes.`);
      return;
    }
  }
  try {
    signedIn(await get('/console/whoami'));
  } catch (error) {
    signedOut(error instanceof ApiError && error.status === 401
      ? 'Not signed in. Run `covenant console` and open the URL it prints.'
      : `The daemon did not answer: ${describe(error)}`);
  }
}

void boot();
