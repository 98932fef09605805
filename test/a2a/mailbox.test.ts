// The A2A mailbox (SPEC 10) through a real in-process daemon: admission, lease, respond, results,
// idempotency, the stale-lease guard, bounded retry-stale, compact, long polls, restart, agents.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { WireMessage } from '../../src/ipc/index.js';
import { writeFixtureAgent } from '../budget/fixture-agent.js';
import { auditRowsAfterCrash } from '../helpers/crash-snapshot.js';
import { DaemonFixture } from '../helpers/daemon-fixture.js';
import { tempDir } from '../helpers/temp-home.js';
import { waitFor } from '../helpers/wait.js';

type Task = { id: string; state: string; lease_id: string | null; attempt: number; result: { status: string; content: unknown[]; error_message: string | null } | null };

let fx: DaemonFixture;
let alice: { token: string; agent: { display: string; pubkey: string } };
let bob: { token: string; agent: { display: string; pubkey: string } };
let packages: { dir: string; cleanup: () => void };

const ok = (request: WireMessage, token?: string) => fx.ok(request, token);
const refused = (request: WireMessage, token: string | undefined, code: string) => fx.refused(request, token, code);

async function send(text: string, extra: Record<string, unknown> = {}): Promise<Task> {
  const reply = await ok({ kind: 'a2a_send', recipient: bob.agent.display, text, ...extra }, alice.token);
  return reply.task as Task;
}

async function recv(token = bob.token, waitMs = 0): Promise<Task | null> {
  return (await ok({ kind: 'a2a_recv', wait_ms: waitMs }, token)).task as Task | null;
}

describe('the A2A mailbox', () => {
  before(async () => {
    packages = tempDir('covenant-a2a-agents-');
    fx = await DaemonFixture.start();
    alice = await fx.addPeer('alice');
    bob = await fx.addPeer('bob');
  });
  after(async () => {
    await fx?.stop();
    packages?.cleanup();
  });

  it('refuses a send without a2a.send, and one the recipient has no a2a.recv for: nothing queued, audited', async () => {
    await refused({ kind: 'a2a_send', recipient: 'bob@peer', text: 'hi' }, alice.token, 'E_CAPABILITY_MISSING');
    await ok({ kind: 'capabilities_grant', action: 'a2a.send.bob@peer', to: 'alice@peer' });
    const missing = await refused({ kind: 'a2a_send', recipient: 'bob@peer', text: 'hi' }, alice.token, 'E_CAPABILITY_MISSING');
    assert.match(String(missing.message), /covenant capabilities grant a2a\.recv\.alice@peer --to bob@peer/);
    assert.equal(fx.count('a2a_tasks'), 0);
    assert.deepEqual(fx.auditPayloads('a2a_recipient_rejected').at(-1), { recipient: 'bob@peer', reason: 'recipient_lacks_capability', missing: 'a2a.recv.alice@peer' });
    await refused({ kind: 'a2a_send', recipient: 'nobody@peer', text: 'hi' }, alice.token, 'E_NOT_FOUND');
    await refused({ kind: 'a2a_send', recipient: 'bob@peer', text: 'hi', sender: 'bob@peer' }, alice.token, 'E_FORBIDDEN');
    assert.equal(fx.auditPayloads('a2a_sender_mismatch').length, 1);
    assert.equal(fx.count('a2a_tasks'), 0);
    await ok({ kind: 'capabilities_grant', action: 'a2a.recv.alice@peer', to: 'bob@peer' });
    await ok({ kind: 'capabilities_grant', action: 'a2a.respond.alice@peer', to: 'bob@peer' });
  });

  it('queues, leases (lease and message receipt first), responds and drains each result once', async () => {
    const task = await send('translate this');
    assert.equal(task.state, 'queued');
    assert.equal(await recv(alice.token), null, 'alice has nothing addressed to her');
    const leased = await recv();
    assert.equal(leased?.id, task.id);
    assert.equal(leased?.state, 'in_flight');
    assert.equal(leased?.attempt, 1);
    assert.equal(fx.count('receipts', "resource = 'message' AND intent_id = ?", task.id), 1);
    assert.equal(fx.auditPayloads('a2a_task_leased').at(-1)?.lease_id, leased?.lease_id);

    await refused({ kind: 'a2a_respond', task_id: task.id, status: 'ok' }, alice.token, 'E_NOT_FOUND');
    const responded = await ok({ kind: 'a2a_respond', task_id: task.id, status: 'ok', content: [{ type: 'text', text: 'done' }, { type: 'json', value: { n: 1 } }] }, bob.token);
    assert.equal(responded.state, 'result_pending');
    await refused({ kind: 'a2a_respond', task_id: task.id, status: 'ok' }, bob.token, 'E_CONFLICT');
    assert.equal(fx.auditPayloads('a2a_result_rejected').length, 2);

    const results = (await ok({ kind: 'a2a_results' }, alice.token)).tasks as Task[];
    assert.equal(results.length, 1);
    assert.deepEqual(results[0]!.result?.content, [{ type: 'text', text: 'done' }, { type: 'json', value: { n: 1 } }]);
    assert.equal(((await ok({ kind: 'a2a_results' }, alice.token)).tasks as Task[]).length, 0, 'a result is drained once');
    assert.equal(fx.ctx.mailbox.get(task.id)?.state, 'done');
  });

  it('replays an idempotency key: the same task and its cached result, never a second task', async () => {
    const first = await send('once only', { idempotency_key: 'k-1' });
    const again = await ok({ kind: 'a2a_send', recipient: bob.agent.pubkey.slice(0, 12), text: 'once only', idempotency_key: 'k-1' }, alice.token);
    assert.equal(again.replayed, true);
    assert.equal((again.task as Task).id, first.id);
    const leased = await recv();
    await ok({ kind: 'a2a_respond', task_id: leased!.id, status: 'ok', content: [{ type: 'text', text: 'cached' }] }, bob.token);
    const third = await ok({ kind: 'a2a_send', recipient: 'bob@peer', text: 'once only', idempotency_key: 'k-1' }, alice.token);
    assert.equal((third.task as Task).result?.content[0] && JSON.stringify((third.task as Task).result?.content), '[{"type":"text","text":"cached"}]');
    assert.equal(fx.count('a2a_tasks', 'idempotency_key = ?', 'k-1'), 1);
    const other = await send('once only', { idempotency_key: 'k-1', task_kind: 'other' });
    assert.notEqual(other.id, first.id, 'the key is per (sender, recipient, kind)');
    await ok({ kind: 'a2a_cancel', task_id: other.id }, alice.token);
    await ok({ kind: 'a2a_results' }, alice.token);
  });

  it('guards requeue and force-error with the current lease id; retry-stale is bounded', async () => {
    await ok({ kind: 'capabilities_grant', action: 'a2a.repair.*' });
    const task = await send('fragile');
    const leased = (await recv())!;
    const wrong = { kind: 'a2a_requeue', task_id: task.id, reason: 'stuck', lease_id: 'not-the-lease' };
    await refused(wrong, undefined, 'E_LEASE_MISMATCH');
    await refused({ kind: 'a2a_force_error', task_id: task.id, reason: 'stuck', message: 'gave up', lease_id: 'nope' }, undefined, 'E_LEASE_MISMATCH');
    assert.equal(fx.auditPayloads('a2a_lease_mismatch').length, 2);
    assert.equal(fx.ctx.mailbox.get(task.id)?.state, 'in_flight');
    const requeued = await ok({ ...wrong, lease_id: leased.lease_id });
    assert.equal(requeued.state, 'queued');
    // The old lease is stale now.
    await refused({ ...wrong, lease_id: leased.lease_id }, undefined, 'E_LEASE_MISMATCH');
    const second = (await recv())!;
    assert.equal(second.attempt, 2);
    const pass = await ok({ kind: 'a2a_retry_stale', min_lease_age_ms: 0, max_attempts: 3 });
    assert.deepEqual(pass.requeued, [task.id]);
    const third = (await recv())!;
    assert.equal(third.attempt, 3);
    const last = await ok({ kind: 'a2a_retry_stale', min_lease_age_ms: 0, max_attempts: 3 });
    assert.deepEqual(last.gave_up, [task.id]);
    assert.equal((await recv()), null, 'not redelivered past max_attempts');
    const results = (await ok({ kind: 'a2a_results' }, alice.token)).tasks as Task[];
    assert.equal(results[0]?.result?.status, 'error');
    assert.match(String(results[0]?.result?.error_message), /gave up after 3 deliveries/);
    assert.equal(fx.count('receipts', "resource = 'message' AND intent_id = ?", task.id), 1, 'one message receipt per task');
  });

  it('wakes a long-polling recv and results on the commit, not on a timer', async () => {
    // The daemon's own workers (installed agents, the federation outbox) sleep on the mailbox too.
    const idle = fx.ctx.mailbox.wakeups.sleeping;
    const waiting = fx.call({ kind: 'a2a_recv', wait_ms: 60_000 }, bob.token);
    assert.ok(await waitFor(() => fx.ctx.mailbox.wakeups.sleeping === idle + 1));
    const task = await send('wake up');
    const got = await waiting;
    assert.equal((got.task as Task).id, task.id);
    const results = fx.call({ kind: 'a2a_results', wait_ms: 60_000 }, alice.token);
    assert.ok(await waitFor(() => fx.ctx.mailbox.wakeups.sleeping === idle + 1));
    await ok({ kind: 'a2a_respond', task_id: task.id, status: 'error', error_message: 'no' }, bob.token);
    assert.equal(((await results).tasks as Task[])[0]?.id, task.id);
    const empty = await ok({ kind: 'a2a_recv', wait_ms: 50 }, bob.token);
    assert.equal(empty.task, null);
  });

  it('keeps queued, leased and pending tasks across a restart without redelivering a lease', async () => {
    const queued = await send('stay queued');
    const inFlight = await send('stay leased');
    const pending = await send('stay pending');
    // queued first: lease the two later ones by leasing all three and requeueing the first.
    const a = (await recv())!;
    const b = (await recv())!;
    const c = (await recv())!;
    assert.deepEqual([a.id, b.id, c.id], [queued.id, inFlight.id, pending.id]);
    await ok({ kind: 'a2a_requeue', task_id: a.id, reason: 'back', lease_id: a.lease_id });
    await ok({ kind: 'a2a_respond', task_id: c.id, status: 'ok' }, bob.token);
    await fx.restart();
    const status = await ok({ kind: 'a2a_status', limit: 500 });
    const states = new Map((status.tasks as Task[]).map((t) => [t.id, t.state]));
    assert.equal(states.get(queued.id), 'queued');
    assert.equal(states.get(inFlight.id), 'in_flight');
    assert.equal(states.get(pending.id), 'result_pending');
    assert.equal((await recv())?.id, queued.id);
    assert.equal(await recv(), null, 'the leased task is not redelivered');
    const stale = await ok({ kind: 'a2a_status', min_lease_age_ms: 0 });
    assert.equal((stale.tasks as Task[]).length, 2);
  });

  it('compacts only drained tasks', async () => {
    await ok({ kind: 'capabilities_grant', action: 'a2a.compact' });
    const before = fx.count('a2a_tasks');
    const done = fx.count('a2a_tasks', "state = 'done'");
    assert.ok(done > 0);
    const reply = await ok({ kind: 'a2a_compact' });
    assert.equal(reply.removed, done);
    assert.equal(fx.count('a2a_tasks'), before - done);
    assert.equal(fx.count('a2a_tasks', "state = 'done'"), 0);
  });

  it('runs a task for an installed agent through the dispatch pipeline as an intent of the sender', async () => {
    const dir = writeFixtureAgent(packages.dir, 'helper', { creditsPerHour: 0 });
    await ok({ kind: 'agents_install', dir });
    await refused({ kind: 'a2a_send', recipient: 'helper@agent', text: 'hello helper' }, alice.token, 'E_CAPABILITY_MISSING');
    await refused({ kind: 'a2a_send', recipient: 'missing@agent', text: 'x' }, alice.token, 'E_NOT_FOUND');
    await ok({ kind: 'capabilities_grant', action: 'a2a.send.helper@agent', to: 'alice@peer' });
    await ok({ kind: 'capabilities_grant', action: 'intent.submit', to: 'alice@peer' });
    await ok({ kind: 'a2a_results' }, alice.token); // results of earlier tests
    const sent = await ok({ kind: 'a2a_send', recipient: 'helper@agent', text: 'hello helper' }, alice.token);
    const id = (sent.task as Task).id;
    const results = (await ok({ kind: 'a2a_results', wait_ms: 60_000 }, alice.token)).tasks as Task[];
    assert.equal(results[0]?.id, id);
    assert.equal(results[0]?.result?.status, 'ok', JSON.stringify(results[0]));
    assert.deepEqual(results[0]?.result?.content, [{ type: 'text', text: 'done: hello helper' }]);
    const dispatched = fx.audit('intent_dispatched').at(-1)!;
    assert.equal(dispatched.issuer_pubkey, alice.agent.pubkey, 'the intent is the sender’s');
    assert.equal(fx.count('receipts', "resource = 'message' AND intent_id = ? AND payer = ?", id, alice.agent.pubkey), 1);
  });

  it('an agent task commits its run’s settle and its result together: a crash between them leaves neither', async () => {
    // The agent of the test above (installed, granted). When the result's row is appended, the
    // intent's settle row of the same task must not be on disk yet: one group commit takes both.
    const seen: Array<{ settleOnDisk: boolean }> = [];
    const append = fx.ctx.audit.append.bind(fx.ctx.audit);
    fx.ctx.audit.append = (issuer, event) => {
      if (event.kind === 'a2a_result_written') seen.push({ settleOnDisk: auditRowsAfterCrash(fx.paths.db).some((row) => row.kind === 'intent_dispatched' && row.seq > before) });
      return append(issuer, event);
    };
    const before = fx.count('audit_events');
    try {
      const sent = await ok({ kind: 'a2a_send', recipient: 'helper@agent', text: 'together' }, alice.token);
      const results = (await ok({ kind: 'a2a_results', wait_ms: 60_000 }, alice.token)).tasks as Task[];
      assert.equal(results[0]?.id, (sent.task as Task).id);
      assert.equal(results[0]?.result?.status, 'ok');
    } finally {
      fx.ctx.audit.append = append;
    }
    assert.deepEqual(seen, [{ settleOnDisk: false }]);
    const rows = auditRowsAfterCrash(fx.paths.db).filter((row) => row.seq > before).map((row) => row.kind);
    assert.ok(rows.indexOf('intent_dispatched') >= 0 && rows.indexOf('intent_dispatched') < rows.indexOf('a2a_result_written'), rows.join(','));
  });
});
