/**
 * Live test of the operator console (SPEC 19), part of the `http-gateway` surface: the real
 * covenantd (gateway on a free loopback port) and covenant binaries, and a real headless
 * Chromium (Debian's /usr/bin/chromium, driven by playwright-core; never a downloaded browser).
 *
 * External service: Chromium at /usr/bin/chromium. Without it the test skips, naming it, unless
 * COVENANT_LIVE_REQUIRE lists http-gateway.
 *
 *   npm run build && COVENANT_LIVE=1 node --import tsx --test test/live/live_console.test.ts
 *
 * Screenshots of each view are written to test-results/console/ (gitignored; a CI artifact).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { writeFixtureAgent } from '../budget/fixture-agent.js';
import { REPO_ROOT } from '../helpers/binaries.js';
import { liveHome, liveTest, requireService } from './harness.js';
import { addPeer, auditPayloads, errorJson, exhaustByPreemption, okJson, query, startWithHttp } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
/** What these offline machines need, or Chromium's background connections fail many at a time. */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const SCREENSHOTS = join(REPO_ROOT, 'test-results', 'console');
const VIEWS = ['intents', 'stuck', 'audit', 'peers', 'agents', 'receipts', 'coverage'];

/** Headless Chromium with a fresh profile in a temp dir (removed by the returned close). */
async function launch(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'covenant-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

async function view(page: Page, id: string): Promise<void> {
  await page.click(`nav button[data-view="${id}"]`);
  await page.waitForSelector(`body[data-loaded="${id}"]`);
}

liveTest('live_console_in_chromium', async (t) => {
  if (!requireService(t, 'http-gateway', existsSync(CHROMIUM), `chromium (${CHROMIUM})`)) return;
  const live = liveHome();
  let browser: Awaited<ReturnType<typeof launch>> | null = null;
  try {
    const packages = join(live.home, '..', 'packages');
    mkdirSync(packages, { recursive: true });
    const url = await startWithHttp(live);
    okJson(live.cli(['agents', 'install', writeFixtureAgent(packages, 'meter', { creditsPerHour: 1 }), '--json']), 'agent_installed');

    browser = await launch();
    const requests: string[] = [];
    browser.context.on('request', (request) => requests.push(request.url()));
    const page = await browser.context.newPage();
    page.on('request', (request) => requests.push(request.url()));

    // Log in with a code from `covenant console`.
    const login = okJson(live.cli(['console', '--json']), 'console_code');
    assert.equal(login.url, `${url}/#code=${String(login.code)}`);
    await page.goto(String(login.url));
    await page.waitForSelector('body[data-loaded="intents"]');
    assert.equal(new URL(page.url()).hash, '', 'the code left the address bar');
    const prefix = await page.getAttribute('body', 'data-session');
    assert.ok(prefix && prefix !== 'none');
    assert.equal(query<{ n: number }>(live.home, 'SELECT count(*) AS n FROM peers WHERE token_prefix = ? AND revoked_at IS NULL', prefix)[0]!.n, 1, 'a live operator peer');
    assert.equal(auditPayloads(live.home, 'console_session_started').at(-1)?.token_prefix, prefix);

    // The same code again: refused, audited, no second session.
    const sessions = () => query<{ n: number }>(live.home, 'SELECT count(*) AS n FROM console_sessions')[0]!.n;
    const before = sessions();
    const replay = await browser.context.newPage();
    await replay.goto(String(login.url));
    await replay.waitForSelector('body[data-session="none"]');
    assert.match(await replay.textContent('#login-text') ?? '', /refused/);
    assert.equal(sessions(), before);
    assert.equal(auditPayloads(live.home, 'authentication_failed').at(-1)?.reason, 'console code already used');
    await replay.close();

    // An intent sent with the CLI appears live, and its timeline streams its rows.
    const sent = okJson(live.cli(['intent', '--json', 'hello', 'from', 'the', 'console', 'test']), 'intent_result');
    const intentId = String(sent.intent_id);
    const row = page.locator(`button[aria-label="Show the timeline of intent ${intentId}"]`);
    await row.waitFor();
    await row.click();
    await page.locator('#timeline li[data-kind="intent_unrouted"]').waitFor();

    // A paused intent, resumed from the page; the CLI sees it resumed.
    exhaustByPreemption(live, 'meter');
    errorJson(live.cli(['intent', '--json', '--agent', 'meter', 'second', 'job']), 'E_BUDGET_EXHAUSTED');
    const [paused] = query<{ intent_id: string }>(live.home, "SELECT intent_id FROM budget_checkpoints WHERE reason = 'exhausted'");
    assert.ok(paused);
    okJson(live.cli(['capabilities', 'grant', 'budget.topup', '--json']), 'capability_granted');
    okJson(live.cli(['budget', 'topup', 'meter', '60', '--json']), 'budget_topped_up');
    await view(page, 'stuck');
    const resume = page.locator(`button[aria-label="Resume intent ${paused.intent_id}"]`);
    await resume.waitFor();
    assert.ok(await page.getByText(`$ covenant intents resume ${paused.intent_id}`).isVisible(), 'the CLI line it runs');
    await resume.click();
    await page.getByText(`Intent ${paused.intent_id} resumed: ok`).waitFor();
    assert.equal(okJson(live.cli(['status', '--json']), 'daemon_status').paused_intents, 1, 'the preempted intent is still paused');
    const receipts = okJson(live.cli(['receipts', 'recent', '--json']), 'receipt_list').receipts as Array<Record<string, unknown>>;
    assert.ok(receipts.some((r) => r.intent_id === paused.intent_id && r.resource === 'compute' && r.status === 'ok'), 'the CLI sees it ran');
    errorJson(live.cli(['intents', 'resume', paused.intent_id, '--json']), 'E_CONFLICT');

    // A capability revoked from the page is refused on the next CLI call.
    const alice = addPeer(live, 'alice');
    const grant = okJson(live.cli(['capabilities', 'grant', 'memory.read', '--to', 'alice@peer', '--json']), 'capability_granted');
    okJson(live.cli(['--token-file', alice.tokenFile, 'memory', 'recent', '--json']), 'memory_read');
    await view(page, 'peers');
    await page.click(`button[data-capability="${String(grant.id)}"]`);
    await page.getByText(`Capability ${String(grant.id)} revoked`).waitFor();
    errorJson(live.cli(['--token-file', alice.tokenFile, 'memory', 'recent', '--json']), 'E_CAPABILITY_MISSING');

    // A screenshot of each view, and of the first at a phone's width.
    mkdirSync(SCREENSHOTS, { recursive: true });
    for (const id of VIEWS) {
      await view(page, id);
      await page.screenshot({ path: join(SCREENSHOTS, `${id}.png`), fullPage: true });
    }
    await page.setViewportSize({ width: 360, height: 740 });
    await view(page, 'intents');
    await page.screenshot({ path: join(SCREENSHOTS, 'intents-narrow.png'), fullPage: true });
    // A string: the test's own type-check has no DOM library.
    const overflow = Number(await page.evaluate('document.documentElement.scrollWidth - window.innerWidth'));
    assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px on a narrow window (tables scroll inside their own box)`);

    // The session survives a SIGKILL of the daemon: the same page, reloaded, is still signed in.
    await live.daemon!.stop('SIGKILL');
    await startWithHttp(live, Number(new URL(url).port));
    await page.reload();
    await page.waitForSelector('body[data-loaded="intents"]');
    assert.equal(await page.getAttribute('body', 'data-session'), prefix);

    // Nothing was requested outside the gateway's origin.
    assert.ok(requests.length > 10, `${requests.length} requests recorded`);
    const foreign = requests.filter((request) => new URL(request).origin !== url);
    assert.deepEqual(foreign, []);
  } finally {
    await browser?.close();
    await live.dispose();
  }
}, { timeout: 300_000 });
