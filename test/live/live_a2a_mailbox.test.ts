// Live tests for the A2A mailbox (SPEC 10): the real covenantd and covenant binaries on a
// temporary COVENANT_HOME. External service: none beyond the two binaries, the Unix socket and
// the SQLite file.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { CLI_BIN, REPO_ROOT } from '../helpers/binaries.js';
import { liveHome, liveTest, type LiveHome } from './harness.js';
import { addPeer, auditEvents, errorJson, okJson, type LivePeer } from './helpers.js';

interface TaskView {
  id: string;
  state: string;
  lease_id: string | null;
  attempt: number;
  sender: { display: string };
  result: { status: string; content: Array<{ type: string; text?: string; value?: unknown }>; error_message: string | null } | null;
}

const as = (peer: LivePeer) => ({ COVENANT_TOKEN: peer.token });

function a2a(live: LiveHome, args: string[], peer?: LivePeer) {
  return live.cli(['a2a', ...args, '--json'], peer ? as(peer) : {});
}

function grant(live: LiveHome, action: string, to?: LivePeer): void {
  okJson(live.cli(['capabilities', 'grant', action, ...(to ? ['--to', to.agent.display] : []), '--json']), 'capability_granted');
}

function send(live: LiveHome, from: LivePeer, to: string, text: string, extra: string[] = []): TaskView {
  return okJson(a2a(live, ['send', to, text, ...extra], from), 'a2a_sent').task as TaskView;
}

function recv(live: LiveHome, peer: LivePeer): TaskView | null {
  return okJson(a2a(live, ['recv'], peer), 'a2a_received').task as TaskView | null;
}

function statusOf(live: LiveHome): Map<string, TaskView> {
  const json = okJson(a2a(live, ['status', '-n', '500']), 'a2a_status');
  return new Map((json.tasks as TaskView[]).map((t) => [t.id, t]));
}

/** `covenant a2a <args> --json` as a child that runs while the test goes on (a long poll). */
function background(live: LiveHome, args: string[], peer: LivePeer): Promise<Record<string, unknown>> {
  const child = spawn(process.execPath, [CLI_BIN, 'a2a', ...args, '--json'], { env: { ...live.env, ...as(peer) }, cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as Record<string, unknown>) : reject(new Error(`exit ${code}: ${out}`))));
  });
}

/** alice and bob, alice allowed to send to bob (bob does not accept her tasks yet). */
function twoPeers(live: LiveHome): { alice: LivePeer; bob: LivePeer } {
  const alice = addPeer(live, 'alice');
  const bob = addPeer(live, 'bob');
  grant(live, 'a2a.send.bob@peer', alice);
  return { alice, bob };
}

/** bob accepts and answers tasks from alice. */
function bobServesAlice(live: LiveHome, bob: LivePeer): void {
  grant(live, 'a2a.recv.alice@peer', bob);
  grant(live, 'a2a.respond.alice@peer', bob);
}

liveTest('live_a2a_duplex_with_capability_gating', async () => {
  const live = liveHome();
  try {
    await live.start();
    const { alice, bob } = twoPeers(live);

    // bob does not accept tasks from alice yet: refused, nothing queued, audited.
    const refused = errorJson(a2a(live, ['send', 'bob@peer', 'summarise the log'], alice), 'E_CAPABILITY_MISSING');
    assert.match(String(refused.message), /covenant capabilities grant a2a\.recv\.alice@peer --to bob@peer/);
    assert.equal(statusOf(live).size, 0, 'nothing was queued');
    const rejected = auditEvents(live, 'a2a_recipient_rejected');
    assert.equal(rejected.length, 1);
    assert.deepEqual(rejected[0]!.payload, { recipient: 'bob@peer', reason: 'recipient_lacks_capability', missing: 'a2a.recv.alice@peer' });
    assert.equal(auditEvents(live, 'a2a_task_queued').length, 0);

    bobServesAlice(live, bob);
    // bob long-polls before the task exists; the send wakes it.
    const waiting = background(live, ['recv', '--wait-ms', '60000'], bob);
    const task = send(live, alice, 'bob@peer', 'summarise the log');
    const leased = (await waiting).task as TaskView;
    assert.equal(leased.id, task.id);
    assert.equal(leased.state, 'in_flight');
    assert.equal(leased.sender.display, 'alice@peer');
    okJson(a2a(live, ['respond', task.id, '--status', 'ok', '--text', 'three errors, all retried'], bob), 'a2a_responded');
    const results = okJson(a2a(live, ['results', '--wait-ms', '1000'], alice), 'a2a_results').tasks as TaskView[];
    assert.equal(results.length, 1);
    assert.deepEqual(results[0]!.result?.content, [{ type: 'text', text: 'three errors, all retried' }]);

    // The other direction: bob asks alice, who answers with JSON.
    grant(live, 'a2a.send.alice@peer', bob);
    grant(live, 'a2a.recv.bob@peer', alice);
    grant(live, 'a2a.respond.bob@peer', alice);
    const back = send(live, bob, 'alice@peer', 'how many?');
    assert.equal(recv(live, alice)?.id, back.id);
    okJson(a2a(live, ['respond', back.id, '--status', 'ok', '--json-value', '{"count":3}'], alice), 'a2a_responded');
    const answer = okJson(a2a(live, ['results'], bob), 'a2a_results').tasks as TaskView[];
    assert.deepEqual(answer[0]!.result?.content, [{ type: 'json', value: { count: 3 } }]);

    // Each delivered task has one message receipt paid by its sender.
    const receipts = okJson(live.cli(['receipts', 'recent', '--resource', 'message', '--json']), 'receipt_list').receipts as Array<{ intent_id: string; payer: string }>;
    assert.deepEqual(new Set(receipts.map((r) => r.intent_id)), new Set([task.id, back.id]));
    assert.equal(receipts.find((r) => r.intent_id === task.id)?.payer, alice.pubkey);
    // Human output.
    const plain = live.cli(['a2a', 'status'], as(alice));
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout, /^queued 0, in flight 0, result pending 0, done 2, canceled 0$/m);
  } finally {
    await live.dispose();
  }
});

liveTest('live_a2a_sigkill_keeps_queued_leased_and_pending_tasks', async () => {
  const live = liveHome();
  try {
    const daemon = await live.start();
    const { alice, bob } = twoPeers(live);
    bobServesAlice(live, bob);
    grant(live, 'a2a.repair.*');

    const pending = send(live, alice, 'bob@peer', 'answered before the crash');
    const leased = send(live, alice, 'bob@peer', 'leased at the crash');
    assert.equal(recv(live, bob)?.id, pending.id);
    const lease = recv(live, bob)!;
    assert.equal(lease.id, leased.id);
    okJson(a2a(live, ['respond', pending.id, '--status', 'ok', '--text', 'done'], bob), 'a2a_responded');
    const queued = send(live, alice, 'bob@peer', 'queued at the crash');

    assert.equal(await daemon.stop('SIGKILL'), null);
    await live.start();
    const after = statusOf(live);
    assert.equal(after.get(queued.id)?.state, 'queued');
    assert.equal(after.get(leased.id)?.state, 'in_flight');
    assert.equal(after.get(leased.id)?.lease_id, lease.lease_id, 'the lease survived');
    assert.equal(after.get(pending.id)?.state, 'result_pending');

    // Only the queued task is delivered: the leased one is not redelivered by itself.
    assert.equal(recv(live, bob)?.id, queued.id);
    assert.equal(recv(live, bob), null);
    okJson(a2a(live, ['respond', queued.id, '--status', 'ok'], bob), 'a2a_responded');

    // retry-stale redelivers it, bounded by --max-attempts.
    const first = okJson(a2a(live, ['retry-stale', '--min-lease-age-ms', '0', '--max-attempts', '2']), 'a2a_retry_stale');
    assert.deepEqual(first.requeued, [leased.id]);
    const again = recv(live, bob)!;
    assert.equal(again.id, leased.id);
    assert.equal(again.attempt, 2);
    const second = okJson(a2a(live, ['retry-stale', '--min-lease-age-ms', '0', '--max-attempts', '2']), 'a2a_retry_stale');
    assert.deepEqual(second.gave_up, [leased.id]);
    assert.deepEqual(second.requeued, []);
    assert.equal(recv(live, bob), null, 'not redelivered past --max-attempts');

    const results = okJson(a2a(live, ['results'], alice), 'a2a_results').tasks as TaskView[];
    const byId = new Map(results.map((t) => [t.id, t]));
    assert.equal(byId.size, 3);
    assert.equal(byId.get(pending.id)?.result?.status, 'ok');
    assert.equal(byId.get(leased.id)?.result?.status, 'error');
    assert.match(String(byId.get(leased.id)?.result?.error_message), /gave up after 2 deliveries/);
    assert.equal(auditEvents(live, 'a2a_retry_stale_run').length, 2);
    // One message receipt per task, redelivery included.
    const receipts = okJson(live.cli(['receipts', 'recent', '--resource', 'message', '--json']), 'receipt_list').receipts as Array<{ intent_id: string }>;
    assert.equal(receipts.filter((r) => r.intent_id === leased.id).length, 1);
  } finally {
    await live.dispose();
  }
});

liveTest('live_a2a_stale_lease_guard_and_idempotency_replay', async () => {
  const live = liveHome();
  try {
    await live.start();
    const { alice, bob } = twoPeers(live);
    bobServesAlice(live, bob);

    const task = send(live, alice, 'bob@peer', 'fragile work');
    const first = recv(live, bob)!;
    // Without a2a.repair.* even the right lease is refused.
    errorJson(a2a(live, ['requeue', task.id, '--reason', 'worker died', '--lease-id', first.lease_id!]), 'E_CAPABILITY_MISSING');
    grant(live, 'a2a.repair.*');
    const wrong = errorJson(a2a(live, ['requeue', task.id, '--reason', 'worker died', '--lease-id', 'not-a-lease']), 'E_LEASE_MISMATCH');
    assert.match(String(wrong.message), /lease mismatch/);
    okJson(a2a(live, ['requeue', task.id, '--reason', 'worker died', '--lease-id', first.lease_id!]), 'a2a_requeued');
    // The first lease is stale now.
    errorJson(a2a(live, ['requeue', task.id, '--reason', 'again', '--lease-id', first.lease_id!]), 'E_LEASE_MISMATCH');
    const second = recv(live, bob)!;
    assert.equal(second.attempt, 2);
    errorJson(a2a(live, ['force-error', task.id, '--reason', 'stuck', '--message', 'gave up', '--lease-id', first.lease_id!]), 'E_LEASE_MISMATCH');
    okJson(a2a(live, ['force-error', task.id, '--reason', 'stuck', '--message', 'gave up', '--lease-id', second.lease_id!]), 'a2a_force_errored');
    const mismatches = auditEvents(live, 'a2a_lease_mismatch');
    assert.equal(mismatches.length, 3);
    assert.ok(mismatches.every((e) => e.payload.task_id === task.id));
    assert.equal(auditEvents(live, 'a2a_task_requeued').length, 1);
    assert.equal(auditEvents(live, 'a2a_task_force_errored').length, 1);

    // Idempotency: the same key answers the first task and, once there is one, its cached result.
    const once = send(live, alice, 'bob@peer', 'charge the card', ['--idempotency-key', 'order-17']);
    const replay = okJson(a2a(live, ['send', 'bob@peer', 'charge the card', '--idempotency-key', 'order-17'], alice), 'a2a_sent');
    assert.equal(replay.replayed, true);
    assert.equal((replay.task as TaskView).id, once.id);
    assert.equal(recv(live, bob)?.id, once.id);
    okJson(a2a(live, ['respond', once.id, '--status', 'ok', '--text', 'charged'], bob), 'a2a_responded');
    const cached = okJson(a2a(live, ['send', 'bob@peer', 'charge the card', '--idempotency-key', 'order-17'], alice), 'a2a_sent');
    assert.equal(cached.replayed, true);
    assert.deepEqual((cached.task as TaskView).result?.content, [{ type: 'text', text: 'charged' }]);
    assert.equal(recv(live, bob), null, 'nothing was queued twice');
    assert.equal(auditEvents(live, 'a2a_task_replayed').length, 2);
    const ids = [...statusOf(live).keys()];
    assert.equal(ids.length, 2);
  } finally {
    await live.dispose();
  }
});
