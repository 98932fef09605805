// Live tests for federation (SPEC 10): two real covenantd daemons with separate homes, B with
// its gateway on a loopback port, A delivering `<agent>@b` tasks to B's public A2A endpoint
// (POST /a2a/v1) with the real covenant CLI. External service: none beyond the binaries,
// loopback TCP and the SQLite files.
import assert from 'node:assert/strict';
import { mkdirSync, statSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { writeFixtureAgent } from '../budget/fixture-agent.js';
import { liveHome, liveTest, type LiveHome } from './harness.js';
import { addPeer, auditPayloads, freePort, okJson, query, startWithHttp, type LivePeer } from './helpers.js';

interface TaskView {
  id: string;
  state: string;
  recipient: string;
  result: { status: string; content: Array<{ type: string; text?: string }>; error_message: string | null } | null;
}

const as = (peer: LivePeer) => ({ COVENANT_TOKEN: peer.token });

function grant(live: LiveHome, action: string, to: string): void {
  okJson(live.cli(['capabilities', 'grant', action, '--to', to, '--json']), 'capability_granted');
}

interface Federation {
  a: LiveHome;
  b: LiveHome;
  bUrl: string;
  bPort: number;
  alice: LivePeer;
  /** A's identity on B: the token B minted for it. */
  fedA: LivePeer;
  /** A peer on B that answers tasks by hand (`a2a recv` / `a2a respond`). */
  worker: LivePeer;
}

/**
 * B serves an installed agent `hello` and a peer `worker`, both open to `fed-a@peer`; A registers
 * B as remote `b` with fed-a's token, and alice on A may send to `hello@b` and `worker@peer@b`.
 */
async function federation(deliverTimeoutMs: number): Promise<Federation> {
  const a = liveHome();
  const b = liveHome();
  const bPort = await freePort();
  const bUrl = await startWithHttp(b, bPort);
  const packages = join(b.home, '..', 'packages');
  mkdirSync(packages, { recursive: true });
  okJson(b.cli(['agents', 'install', writeFixtureAgent(packages, 'hello', { creditsPerHour: 0 }), '--json']), 'agent_installed');
  const fedA = addPeer(b, 'fed-a');
  const worker = addPeer(b, 'worker');
  grant(b, 'a2a.send.hello@agent', 'fed-a@peer');
  grant(b, 'intent.submit', 'fed-a@peer');
  grant(b, 'a2a.send.worker@peer', 'fed-a@peer');
  grant(b, 'a2a.recv.fed-a@peer', 'worker@peer');
  grant(b, 'a2a.respond.fed-a@peer', 'worker@peer');

  a.env.COVENANT_A2A_DELIVER_TIMEOUT_MS = String(deliverTimeoutMs);
  await a.start();
  const alice = addPeer(a, 'alice');
  const added = okJson(a.cli(['remotes', 'add', 'b', bUrl, '--token-file', fedA.tokenFile, '--json']), 'remote_added');
  const remote = added.remote as { card_pubkey: string; pinned_by: string; token_prefix: string };
  assert.equal(remote.pinned_by, 'first_use');
  assert.equal(remote.token_prefix, fedA.token.slice(0, 6));
  grant(a, 'a2a.send.hello@b', 'alice@peer');
  grant(a, 'a2a.send.worker@peer@b', 'alice@peer');
  return { a, b, bUrl, bPort, alice, fedA, worker };
}

function send(f: Federation, to: string, text: string): TaskView {
  return okJson(f.a.cli(['a2a', 'send', to, text, '--json'], as(f.alice)), 'a2a_sent').task as TaskView;
}

function nextResult(f: Federation): TaskView {
  const json = okJson(f.a.cli(['a2a', 'results', '--wait-ms', '50000', '-n', '1', '--json'], as(f.alice)), 'a2a_results');
  const [task] = json.tasks as TaskView[];
  assert.ok(task, 'a result arrived within the long poll');
  return task;
}

function messageReceipts(home: string, taskId: string): number {
  return query<{ n: number }>(home, "SELECT count(*) AS n FROM receipts WHERE resource = 'message' AND intent_id = ?", taskId)[0]!.n;
}

/** B's tasks made from A's task: the message id (A's task id) is their idempotency key. */
function remoteCopies(f: Federation, localTaskId: string): Array<{ id: string; state: string }> {
  return query<{ id: string; state: string }>(f.b.home, 'SELECT id, state FROM a2a_tasks WHERE idempotency_key = ?', localTaskId);
}

async function dispose(f: Federation | null): Promise<void> {
  await f?.a.dispose();
  await f?.b.dispose();
}

liveTest('live_a2a_federation_send_to_an_agent_on_another_daemon', async () => {
  let f: Federation | null = null;
  try {
    f = await federation(30_000);
    // The remote's token is stored 0600 in A's home and never shown.
    assert.equal(statSync(join(f.a.home, 'remotes', 'b.token')).mode & 0o777, 0o600);
    const list = f.a.cli(['remotes', 'list', '--json']);
    okJson(list, 'remote_list');
    assert.ok(!list.stdout.includes(f.fedA.token), 'remotes list never prints the token');
    const check = okJson(f.a.cli(['remotes', 'check', '--json']), 'remotes_checked');
    assert.deepEqual((check.checks as Array<{ name: string; outcome: string }>).map((c) => [c.name, c.outcome]), [['b', 'ok']]);

    const task = send(f, 'hello@b', 'ping over the wire');
    const done = nextResult(f);
    assert.equal(done.id, task.id);
    assert.equal(done.result?.status, 'ok', JSON.stringify(done));
    assert.deepEqual(done.result?.content, [{ type: 'text', text: 'done: ping over the wire' }]);

    // One `message` receipt on each side.
    assert.equal(messageReceipts(f.a.home, task.id), 1);
    const copies = remoteCopies(f, task.id);
    assert.equal(copies.length, 1, 'one task on B');
    assert.equal(messageReceipts(f.b.home, copies[0]!.id), 1);
    assert.equal(auditPayloads(f.a.home, 'a2a_remote_accepted').filter((p) => p.task_id === task.id).length, 1);
  } finally {
    await dispose(f);
  }
}, { timeout: 240_000 });

liveTest('live_a2a_federation_remote_sigkilled_mid_task_completes_once', async () => {
  let f: Federation | null = null;
  try {
    f = await federation(30_000);
    const worker = f.worker;
    const task = send(f, 'worker@peer@b', 'count the ships');
    // B's worker leases it (the lease is on B's disk) ...
    const leased = okJson(f.b.cli(['a2a', 'recv', '--wait-ms', '50000', '--json'], as(worker)), 'a2a_received').task as TaskView;
    assert.ok(leased, 'B received the task');
    assert.equal(remoteCopies(f, task.id)[0]?.id, leased.id);
    // ... and B is killed mid-task, then restarted on the same port.
    assert.equal(await f.b.daemon!.stop('SIGKILL'), null);
    await startWithHttp(f.b, f.bPort);
    okJson(f.b.cli(['a2a', 'respond', leased.id, '--status', 'ok', '--text', 'forty-two ships', '--json'], as(worker)), 'a2a_responded');

    const done = nextResult(f);
    assert.equal(done.id, task.id);
    assert.equal(done.result?.status, 'ok', JSON.stringify(done));
    assert.deepEqual(done.result?.content, [{ type: 'text', text: 'forty-two ships' }]);
    // Exactly once: one task on B, one `message` receipt on each side.
    assert.equal(remoteCopies(f, task.id).length, 1);
    assert.equal(messageReceipts(f.b.home, leased.id), 1);
    assert.equal(messageReceipts(f.a.home, task.id), 1);
    assert.equal(auditPayloads(f.a.home, 'a2a_remote_accepted').filter((p) => p.task_id === task.id).length, 1);
  } finally {
    await dispose(f);
  }
}, { timeout: 240_000 });

liveTest('live_a2a_federation_changed_card_key_is_refused', async () => {
  let f: Federation | null = null;
  let impostor: LiveHome | null = null;
  try {
    f = await federation(30_000);
    const pinned = (okJson(f.a.cli(['remotes', 'list', '--json']), 'remote_list').remotes as Array<{ card_pubkey: string }>)[0]!.card_pubkey;
    // Another daemon (another key) answers at B's address.
    await f.b.daemon!.stop('SIGTERM');
    impostor = liveHome();
    await startWithHttp(impostor, f.bPort);

    const task = send(f, 'hello@b', 'for the real b only');
    const done = nextResult(f);
    assert.equal(done.id, task.id);
    assert.equal(done.result?.status, 'error');
    assert.match(String(done.result?.error_message), new RegExp(`remote "b" \\(${f.bUrl.replace(/[.]/g, '\\.')}\\) serves a card signed by \\S+, not by the pinned key ${pinned}`));
    const mismatch = auditPayloads(f.a.home, 'remote_card_mismatch').at(-1);
    assert.equal(mismatch?.task_id, task.id);
    assert.equal(mismatch?.pinned_pubkey, pinned);
    assert.notEqual(mismatch?.seen_pubkey, pinned);
    assert.equal(messageReceipts(f.a.home, task.id), 0, 'nothing was delivered');
    assert.equal(query<{ n: number }>(impostor.home, 'SELECT count(*) AS n FROM a2a_tasks')[0]!.n, 0, 'the impostor received nothing');
    const check = f.a.cli(['remotes', 'check', 'b', '--json']);
    assert.equal(check.code, 1, 'a failed check exits 1');
    assert.deepEqual((check.json?.checks as Array<{ outcome: string }>).map((c) => c.outcome), ['card_mismatch']);
  } finally {
    await impostor?.dispose();
    await dispose(f);
  }
}, { timeout: 240_000 });

liveTest('live_a2a_federation_silent_remote_fails_within_the_timeout_naming_it', async () => {
  let f: Federation | null = null;
  const sockets = new Set<Socket>();
  const silent = createServer((socket) => void sockets.add(socket)); // accepts, never answers
  try {
    f = await federation(3_000);
    await f.b.daemon!.stop('SIGTERM');
    await new Promise<void>((resolve) => silent.listen(f!.bPort, '127.0.0.1', resolve));

    const started = Date.now();
    const task = send(f, 'hello@b', 'is anyone there');
    const done = nextResult(f);
    assert.equal(done.id, task.id);
    assert.equal(done.result?.status, 'error');
    assert.match(String(done.result?.error_message), new RegExp(`remote "b" \\(${f.bUrl.replace(/[.]/g, '\\.')}\\) did not answer within 3000 ms`));
    assert.ok(Date.now() - started >= 3_000, 'not before the timeout');
    const failed = auditPayloads(f.a.home, 'a2a_remote_failed').at(-1);
    assert.equal(failed?.task_id, task.id);
    assert.equal(failed?.reason, 'timeout');
  } finally {
    for (const socket of sockets) socket.destroy();
    silent.close();
    await dispose(f);
  }
}, { timeout: 240_000 });
