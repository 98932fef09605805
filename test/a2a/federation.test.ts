// Federation (SPEC 10): `remotes add|list|check|remove` and the outbox that delivers
// `<agent>@<remote>` tasks, through a real in-process daemon against a stand-in remote on
// 127.0.0.1 (the SDK's sample server pieces). Retries, idempotent redelivery, card pinning,
// garbage answers, the deliver timeout naming the remote, and resuming after a restart.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import type { WireMessage } from '../../src/ipc/index.js';
import { generateSeed, keyPairFromSeed } from '../../src/identity/index.js';
import { DaemonFixture } from '../helpers/daemon-fixture.js';
import { waitFor } from '../helpers/wait.js';
import { REMOTE_TOKEN, StandInRemote } from './federation-helpers.js';

type Task = { id: string; state: string; recipient: string; recipient_kind: string; result: { status: string; content: Array<{ type: string; text?: string }>; error_message: string | null } | null };

let fx: DaemonFixture;
let remote: StandInRemote;
let alice: { token: string; agent: { display: string; pubkey: string } };

const ok = (request: WireMessage, token?: string) => fx.ok(request, token);
const refused = (request: WireMessage, token: string | undefined, code: string) => fx.refused(request, token, code);

async function send(text: string, to = 'hello@b'): Promise<Task> {
  return (await ok({ kind: 'a2a_send', recipient: to, text }, alice.token)).task as Task;
}

/** Alice's next result, long-polled (woken by the commit that writes it). */
async function result(): Promise<Task> {
  const reply = await ok({ kind: 'a2a_results', wait_ms: 60_000, limit: 1 }, alice.token);
  const [task] = reply.tasks as Task[];
  assert.ok(task, 'a result arrived');
  return task;
}

function receipts(taskId: string): number {
  return fx.count('receipts', "resource = 'message' AND intent_id = ?", taskId);
}

async function startDaemon(timeoutMs: number): Promise<DaemonFixture> {
  const previous = process.env.COVENANT_A2A_DELIVER_TIMEOUT_MS;
  process.env.COVENANT_A2A_DELIVER_TIMEOUT_MS = String(timeoutMs);
  try {
    return await DaemonFixture.start();
  } finally {
    if (previous === undefined) delete process.env.COVENANT_A2A_DELIVER_TIMEOUT_MS;
    else process.env.COVENANT_A2A_DELIVER_TIMEOUT_MS = previous;
  }
}

async function addRemote(name = 'b', extra: Record<string, unknown> = {}): Promise<WireMessage> {
  return ok({ kind: 'remotes_add', name, url: remote.url, token: REMOTE_TOKEN, ...extra });
}

describe('federation: remotes and the outbox', () => {
  before(async () => {
    remote = new StandInRemote();
    await remote.start();
    // Long enough that a loaded machine never reaches it where a test does not mean to.
    fx = await startDaemon(60_000);
    alice = await fx.addPeer('alice');
    await ok({ kind: 'capabilities_grant', action: 'a2a.send.hello@b', to: 'alice@peer' });
  });
  after(async () => {
    await fx?.stop();
    await remote?.stop();
  });
  afterEach(() => {
    remote.rpcFault = 'none';
    remote.cardFault = 'none';
    remote.nextFaults = [];
    remote.executor.release();
  });

  it('adds a remote: pins its card key on first use, stores the token 0600 and never shows it', async () => {
    const added = await addRemote();
    const view = added.remote as Record<string, unknown>;
    assert.equal(view.card_pubkey, remote.keys.publicKeyB58);
    assert.equal(view.pinned_by, 'first_use');
    assert.equal(view.token_prefix, REMOTE_TOKEN.slice(0, 6));
    const file = join(fx.paths.remotesDir, 'b.token');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(readFileSync(file, 'utf8').trim(), REMOTE_TOKEN);
    const list = await ok({ kind: 'remotes_list' });
    assert.deepEqual((list.remotes as Array<{ name: string }>).map((r) => r.name), ['b']);
    assert.ok(!JSON.stringify(list).includes(REMOTE_TOKEN), 'the token is never answered');
    const rows = fx.audit('remote_added');
    assert.deepEqual(rows.at(-1)?.payload, { name: 'b', url: remote.url, card_pubkey: remote.keys.publicKeyB58, pinned_by: 'first_use', token_prefix: REMOTE_TOKEN.slice(0, 6) });
    const everything = (fx.ctx.db.prepare('SELECT payload FROM audit_events').all() as Array<{ payload: string }>).map((r) => r.payload).join('\n');
    assert.ok(!everything.includes(REMOTE_TOKEN), 'no audit row holds the token');
    await refused({ kind: 'remotes_add', name: 'b', url: remote.url, token: REMOTE_TOKEN }, undefined, 'E_CONFLICT');
    await refused({ kind: 'remotes_add', name: 'peer', url: remote.url, token: REMOTE_TOKEN }, undefined, 'E_BAD_REQUEST');
    await refused({ kind: 'remotes_list' }, alice.token, 'E_FORBIDDEN');
  });

  it('refuses a remote whose card is not signed by the key given with card_pubkey: nothing registered, audited', async () => {
    const other = keyPairFromSeed(generateSeed()).publicKeyB58;
    const reply = await refused({ kind: 'remotes_add', name: 'c', url: remote.url, token: REMOTE_TOKEN, card_pubkey: other }, undefined, 'E_REMOTE_CARD_MISMATCH');
    assert.match(String(reply.message), /remote "c"/);
    assert.equal(fx.count('a2a_remotes', 'name = ?', 'c'), 0);
    assert.deepEqual(fx.auditPayloads('remote_card_mismatch').at(-1), { remote: 'c', url: remote.url, pinned_pubkey: other, seen_pubkey: remote.keys.publicKeyB58, task_id: null });
    assert.ok(!readdirSync(fx.paths.remotesDir).includes('c.token'));
  });

  it('delivers <agent>@<remote>, follows the remote task and answers in a2a results, with one message receipt', async () => {
    const task = await send('what is the weather');
    assert.equal(task.recipient_kind, 'remote');
    assert.equal(task.recipient, 'hello@b');
    const done = await result();
    assert.equal(done.id, task.id);
    assert.equal(done.result?.status, 'ok');
    assert.deepEqual(done.result?.content, [{ type: 'text', text: 'hello@agent says: what is the weather' }]);
    assert.equal(remote.executor.runs.get(task.id), 1, 'the local task id is the message id, run once');
    assert.equal(receipts(task.id), 1);
    const accepted = fx.auditPayloads('a2a_remote_accepted').at(-1);
    assert.equal(accepted?.task_id, task.id);
    assert.equal(accepted?.remote, 'b');
  });

  it('needs a2a.send.<agent>@<remote>: refused and nothing queued without it', async () => {
    const before = fx.count('a2a_tasks');
    await refused({ kind: 'a2a_send', recipient: 'other@b', text: 'hi' }, alice.token, 'E_CAPABILITY_MISSING');
    assert.equal(fx.count('a2a_tasks'), before);
  });

  it('retries an unavailable remote and garbage answers with backoff, and delivers once', async () => {
    remote.nextFaults = ['unavailable', 'garbage', 'unavailable'];
    const calls = remote.rpcCalls;
    const task = await send('try again');
    const done = await result();
    assert.equal(done.id, task.id);
    assert.equal(done.result?.status, 'ok');
    assert.deepEqual(remote.nextFaults, [], 'the three failed posts were retried');
    assert.ok(remote.rpcCalls - calls >= 4, 'three failures, then the send that was answered');
    assert.equal(remote.executor.runs.get(task.id), 1);
    assert.equal(receipts(task.id), 1);
  });

  it('redelivers the same message when the answer was lost: the remote answers the task it has, nothing runs twice', async () => {
    remote.nextFaults = ['drop_reply'];
    const task = await send('lost answer');
    const done = await result();
    assert.equal(done.id, task.id);
    assert.equal(done.result?.status, 'ok');
    assert.deepEqual(remote.nextFaults, []);
    assert.equal(remote.executor.runs.get(task.id), 1, 'the redelivered message (same message id) ran once');
    assert.equal(receipts(task.id), 1);
    assert.equal(fx.auditPayloads('a2a_remote_accepted').filter((p) => p.task_id === task.id).length, 1);
  });

  it('resumes a task whose remote task was accepted and still runs across a restart of both sides', async () => {
    remote.executor.hold = true;
    const task = await send('long job');
    assert.ok(await waitFor(() => fx.auditPayloads('a2a_remote_accepted').some((p) => p.task_id === task.id)));
    await fx.stopDaemon();
    await remote.stop();
    await remote.start();
    await fx.restart();
    remote.executor.release();
    const done = await result();
    assert.equal(done.id, task.id);
    assert.equal(done.result?.status, 'ok');
    assert.equal(remote.executor.runs.get(task.id), 1);
    assert.equal(receipts(task.id), 1);
  });

  it('cancels a task the remote accepted on the remote as well: its task there ends, one a2a_remote_canceled row', async () => {
    remote.executor.hold = true;
    const task = await send('cancel me there');
    assert.ok(await waitFor(() => fx.auditPayloads('a2a_remote_accepted').some((p) => p.task_id === task.id)));
    const remoteTaskId = String(fx.auditPayloads('a2a_remote_accepted').find((p) => p.task_id === task.id)?.remote_task_id);
    const canceled = await ok({ kind: 'a2a_cancel', task_id: task.id }, alice.token);
    assert.deepEqual(canceled, { kind: 'a2a_canceled', task_id: task.id, previous_state: 'in_flight', state: 'canceled' });
    assert.deepEqual(remote.executor.canceled, [remoteTaskId]);
    assert.deepEqual(fx.auditPayloads('a2a_remote_canceled').at(-1), { task_id: task.id, remote: 'b', remote_task_id: remoteTaskId, found: true });
    assert.equal(fx.count('a2a_tasks', "id = ? AND state = 'canceled'", task.id), 1);
    assert.equal(remote.executor.runs.get(task.id), 1);
  });

  it('refuses a cancel the remote cannot confirm (unreachable): the task stays in flight and completes once the remote is back', async () => {
    remote.executor.hold = true;
    const task = await send('cancel me, unreachable');
    assert.ok(await waitFor(() => fx.auditPayloads('a2a_remote_accepted').some((p) => p.task_id === task.id)));
    await remote.stop();
    const rejected = fx.auditPayloads('request_rejected').length;
    try {
      const refusal = await refused({ kind: 'a2a_cancel', task_id: task.id }, alice.token, 'E_REMOTE_UNREACHABLE');
      assert.match(String(refusal.message), new RegExp(`task ${task.id} was not canceled, it is still in flight: remote "b" .* could not confirm`));
      assert.match(String(refusal.message), /covenant a2a force-error/);
      assert.equal(fx.count('a2a_tasks', "id = ? AND state = 'in_flight'", task.id), 1, 'nothing changed here');
      assert.equal(fx.auditPayloads('request_rejected').length, rejected + 1);
      assert.equal(fx.auditPayloads('request_rejected').at(-1)?.code, 'E_REMOTE_UNREACHABLE');
      assert.equal(fx.auditPayloads('a2a_task_canceled').filter((p) => p.task_id === task.id).length, 0);
    } finally {
      await remote.start();
    }
    remote.executor.release();
    const done = await result();
    assert.equal(done.id, task.id);
    assert.equal(done.result?.status, 'ok');
    assert.deepEqual(remote.executor.canceled.filter((id) => id === task.id), []);
  });

  for (const [fault, status] of [
    ['unauthorized', 401],
    ['forbidden', 403],
  ] as const) {
    it(`fails a task at once, naming the remote and the fix, when the remote answers ${status} to its token`, async () => {
      remote.rpcFault = fault;
      const calls = remote.rpcCalls;
      const task = await send(`refused ${status}`);
      const done = await result();
      assert.equal(done.id, task.id);
      assert.equal(done.result?.status, 'error');
      const message = String(done.result?.error_message);
      assert.match(message, new RegExp(`^E_REMOTE_AUTH_REFUSED: remote "b" \\(${remote.url.replace(/[.]/g, '\\.')}\\): .*HTTP ${status}`));
      assert.match(message, /covenant remotes remove b, covenant remotes add b http:\/\/127\.0\.0\.1:\d+ --token-file <file>/);
      assert.ok(!message.includes(REMOTE_TOKEN), 'the token is never told');
      assert.equal(remote.rpcCalls - calls, 1, 'not retried');
      assert.deepEqual(fx.auditPayloads('a2a_remote_failed').at(-1), { task_id: task.id, remote: 'b', reason: 'remote_auth_refused', delivery_attempts: 1 });
      assert.equal(remote.executor.runs.get(task.id), undefined);
      assert.equal(receipts(task.id), 0);
    });
  }

  it('refuses a remote whose card key changed: the task fails with remote_card_mismatch audited', async () => {
    const pinned = remote.keys;
    remote.keys = keyPairFromSeed(generateSeed());
    try {
      const task = await send('to an impostor');
      const done = await result();
      assert.equal(done.id, task.id);
      assert.equal(done.result?.status, 'error');
      assert.match(String(done.result?.error_message), /remote "b" .*not by the pinned key/);
      assert.equal(remote.executor.runs.get(task.id), undefined, 'nothing was sent to it');
      assert.equal(receipts(task.id), 0, 'not delivered: no receipt');
      assert.deepEqual(fx.auditPayloads('remote_card_mismatch').at(-1), { remote: 'b', url: remote.url, pinned_pubkey: pinned.publicKeyB58, seen_pubkey: remote.keys.publicKeyB58, task_id: task.id });
      assert.equal(fx.auditPayloads('a2a_remote_failed').at(-1)?.reason, 'card_mismatch');
      const check = await ok({ kind: 'remotes_check', name: 'b' });
      assert.deepEqual((check.checks as Array<{ outcome: string; ok: boolean }>).map((c) => [c.ok, c.outcome]), [[false, 'card_mismatch']]);
    } finally {
      remote.keys = pinned;
    }
    const check = await ok({ kind: 'remotes_check' });
    assert.deepEqual((check.checks as Array<{ outcome: string }>).map((c) => c.outcome), ['ok']);
  });

  it('removes a remote: its token file goes, its undelivered tasks fail, its agents are no longer recipients', async () => {
    await ok({ kind: 'remotes_add', name: 'gone', url: remote.url, token: REMOTE_TOKEN });
    await ok({ kind: 'capabilities_grant', action: 'a2a.send.hello@gone', to: 'alice@peer' });
    remote.cardFault = 'hang'; // the delivery cannot get past the card fetch
    const task = await send('never delivered', 'hello@gone');
    assert.ok(await waitFor(() => fx.ctx.mailbox.get(task.id)?.state === 'in_flight'));
    await ok({ kind: 'remotes_remove', name: 'gone' });
    assert.ok(!readdirSync(fx.paths.remotesDir).includes('gone.token'));
    const done = await result();
    assert.equal(done.id, task.id);
    assert.match(String(done.result?.error_message), /remote "gone" was removed/);
    assert.deepEqual(fx.auditPayloads('remote_removed').at(-1), { name: 'gone', failed_tasks: [task.id] });
    await refused({ kind: 'a2a_send', recipient: 'hello@gone', text: 'hi' }, alice.token, 'E_NOT_FOUND');
    await refused({ kind: 'remotes_remove', name: 'gone' }, undefined, 'E_NOT_FOUND');
  });
});

describe('federation: a remote that never answers, or answers garbage', () => {
  let short: DaemonFixture;
  let silent: StandInRemote;
  let sender: { token: string };

  before(async () => {
    silent = new StandInRemote();
    await silent.start();
    short = await startDaemon(1_500);
    sender = await short.addPeer('alice');
    await short.call({ kind: 'remotes_add', name: 'slow', url: silent.url, token: REMOTE_TOKEN });
    await short.call({ kind: 'capabilities_grant', action: 'a2a.send.hello@slow', to: 'alice@peer' });
  });
  after(async () => {
    await short?.stop();
    await silent?.stop();
  });

  async function failedWith(): Promise<{ id: string; message: string }> {
    const sent = await short.call({ kind: 'a2a_send', recipient: 'hello@slow', text: 'anyone there?' }, sender.token);
    const task = sent.task as Task;
    const reply = await short.call({ kind: 'a2a_results', wait_ms: 60_000, limit: 1 }, sender.token);
    const [done] = reply.tasks as Task[];
    assert.equal(done?.id, task.id);
    assert.equal(done?.result?.status, 'error');
    return { id: task.id, message: String(done?.result?.error_message) };
  }

  it('fails the task after the deliver timeout, naming the remote, when its card fetch never answers', async () => {
    silent.cardFault = 'hang';
    try {
      const { id, message } = await failedWith();
      assert.match(message, new RegExp(`remote "slow" \\(${silent.url.replace(/[.]/g, '\\.')}\\) did not answer within 1500 ms`));
      const failed = short.auditPayloads('a2a_remote_failed').at(-1);
      assert.equal(failed?.task_id, id);
      assert.equal(failed?.reason, 'timeout');
    } finally {
      silent.cardFault = 'none';
    }
  });

  for (const [fault, when] of [
    ['hang', 'when SendMessage is accepted on the socket but never answered'],
    ['garbage', 'naming the remote, when it only ever answers garbage'],
  ] as const) {
    it(`fails the task after the deliver timeout, ${when}`, async () => {
      silent.rpcFault = fault;
      try {
        const { message } = await failedWith();
        assert.match(message, /remote "slow" .* did not answer within 1500 ms/);
        assert.equal(silent.executor.runs.size, 0);
      } finally {
        silent.rpcFault = 'none';
      }
    });
  }
});
