// The public A2A protocol on POST /a2a/v1 (SPEC 10) through a real in-process daemon and gateway,
// driven by the SDK's own clients (v1.0 and v0.3): send, idempotency by messageId, the blocking
// wait, streams with replay from the durable log, get/list/cancel, and bad input — each a JSON-RPC
// error with a stable code, nothing queued, one audit row.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { StreamResponse } from '@a2a-js/sdk';
import type { Client } from '@a2a-js/sdk/client';
import { startGateway } from '../../src/gateway/index.js';
import type { WireMessage } from '../../src/ipc/index.js';
import { hashToken } from '../../src/peers/index.js';
import { writeFixtureAgent } from '../budget/fixture-agent.js';
import { startGatewayFixture, type GatewayFixture } from '../gateway/helpers.js';
import { describeEvent, message, stateName, taskOf, v03Client, v1Client } from '../helpers/a2a-clients.js';
import { tempDir } from '../helpers/temp-home.js';
import { waitFor } from '../helpers/wait.js';

type Peer = { token: string; agent: { display: string; pubkey: string } };
type RpcAnswer = { jsonrpc: string; id: unknown; result?: unknown; error?: { code: number; message: string; data?: unknown } };

let f: GatewayFixture;
let packages: { dir: string; cleanup: () => void };
let alice: Peer;
let bob: Peer;
let v1: Client;
let v03: Client;

async function ok(request: WireMessage, token?: string) {
  const reply = await f.t.call(request, token);
  assert.notEqual(reply.kind, 'error', JSON.stringify(reply));
  return reply;
}

async function rpc(body: unknown, options: { version?: string | null; token?: string; contentType?: string } = {}): Promise<{ status: number; answer: RpcAnswer }> {
  const headers: Record<string, string> = { ...f.bearer(options.token ?? alice.token), 'content-type': options.contentType ?? 'application/json' };
  if (options.version !== null) headers['A2A-Version'] = options.version ?? '1.0';
  const response = await fetch(`${f.url}/a2a/v1`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: response.status, answer: (await response.json()) as RpcAnswer };
}

/** Bob (a peer recipient) takes his next task and answers it. */
async function bobAnswers(text: string): Promise<string> {
  const task = (await ok({ kind: 'a2a_recv', wait_ms: 60_000 }, bob.token)).task as { id: string };
  await ok({ kind: 'a2a_respond', task_id: task.id, status: 'ok', content: [{ type: 'text', text }, { type: 'json', value: { n: 1 } }] }, bob.token);
  return task.id;
}

async function collect(stream: AsyncGenerator<StreamResponse>): Promise<string[]> {
  const seen: string[] = [];
  for await (const event of stream) seen.push(describeEvent(event));
  return seen;
}

const rpcRows = () => f.t.auditPayloads('a2a_rpc_rejected');

describe('POST /a2a/v1', () => {
  before(async () => {
    packages = tempDir('covenant-a2a-proto-');
    f = await startGatewayFixture();
    alice = await f.t.addPeer('alice');
    bob = await f.t.addPeer('bob');
    await ok({ kind: 'agents_install', dir: writeFixtureAgent(packages.dir, 'helper', { creditsPerHour: 0 }) });
    for (const action of ['a2a.send.helper@agent', 'intent.submit', 'a2a.send.bob@peer']) await ok({ kind: 'capabilities_grant', action, to: 'alice@peer' });
    await ok({ kind: 'capabilities_grant', action: 'a2a.recv.alice@peer', to: 'bob@peer' });
    await ok({ kind: 'capabilities_grant', action: 'a2a.respond.alice@peer', to: 'bob@peer' });
    v1 = await v1Client(f.url, alice.token);
    v03 = await v03Client(f.url, alice.token);
  });
  after(async () => {
    await f?.stop();
    packages?.cleanup();
  });

  it('v1.0: a message to an installed agent runs as the caller’s a2a_send and answers the completed task with its artifact', async () => {
    const task = taskOf(await v1.sendMessage(message('hello helper', { covenant_recipient: 'helper@agent' })));
    assert.equal(stateName(task.status?.state), 'COMPLETED');
    assert.deepEqual(task.artifacts[0]?.parts.map((p) => p.content?.value), ['done: hello helper']);
    assert.equal(task.metadata?.covenant_recipient, 'helper@agent');
    assert.equal(f.t.count('receipts', "resource = 'message' AND intent_id = ? AND payer = ?", task.id, alice.agent.pubkey), 1);
    assert.equal(f.t.audit('a2a_task_queued').at(-1)?.issuer_pubkey, alice.agent.pubkey, 'the task is the caller’s');
  });

  it('routes by skill_id, else by the router, and v0.3 clients get the same', async () => {
    const bySkill = taskOf(await v1.sendMessage(message('by skill', { skill_id: 'helper' })));
    assert.equal(bySkill.metadata?.covenant_recipient, 'helper@agent');
    const routed = taskOf(await v03.sendMessage(message('please ask the helper')));
    assert.equal(stateName(routed.status?.state), 'COMPLETED');
    assert.deepEqual(routed.artifacts[0]?.parts.map((p) => p.content?.value), ['done: please ask the helper']);
  });

  it('a retried SendMessage with the same messageId queues and runs nothing twice and answers the same task', async () => {
    const before = f.t.count('a2a_tasks');
    const first = taskOf(await v1.sendMessage(message('only once', { covenant_recipient: 'helper@agent' }, { messageId: 'msg-retry-1' })));
    const again = taskOf(await v1.sendMessage(message('only once', { covenant_recipient: 'helper@agent' }, { messageId: 'msg-retry-1' })));
    const legacy = taskOf(await v03.sendMessage(message('only once', {}, { messageId: 'msg-retry-1' })));
    assert.equal(again.id, first.id);
    assert.equal(legacy.id, first.id, 'a retry without metadata goes where the first went');
    assert.equal(stateName(again.status?.state), 'COMPLETED');
    assert.equal(f.t.count('a2a_tasks'), before + 1);
    assert.equal(f.t.count('a2a_tasks', 'idempotency_key = ?', 'msg-retry-1'), 1);
    assert.equal(f.t.auditPayloads('a2a_task_leased').filter((p) => p.task_id === first.id).length, 1, 'the agent ran once');
    assert.equal(f.t.count('receipts', "resource = 'message' AND intent_id = ?", first.id), 1);
    assert.equal(f.t.auditPayloads('a2a_task_replayed').filter((p) => p.task_id === first.id).length, 2);
  });

  it('a blocking SendMessage waits for the result (woken by the commit), and returnImmediately does not', async () => {
    const pending = v1.sendMessage(message('answer me', { covenant_recipient: 'bob@peer' }));
    const id = await bobAnswers('answered');
    const task = taskOf(await pending);
    assert.equal(task.id, id);
    assert.equal(stateName(task.status?.state), 'COMPLETED');
    assert.deepEqual(task.artifacts[0]?.parts.map((p) => p.content?.$case), ['text', 'data']);
    const quick = taskOf(await v1.sendMessage(message('later', { covenant_recipient: 'bob@peer' }, { returnImmediately: true })));
    assert.equal(stateName(quick.status?.state), 'SUBMITTED');
    await bobAnswers('later');
  });

  it('a blocking SendMessage answers the unfinished task once its bound passes', async () => {
    const bounded = await startGateway(f.ctx, { host: '127.0.0.1', port: 0, origins: [], a2aSendWaitMs: 20 });
    try {
      const client = await v1Client(bounded.url, alice.token);
      const task = taskOf(await client.sendMessage(message('nobody answers yet', { covenant_recipient: 'bob@peer' })));
      assert.equal(stateName(task.status?.state), 'SUBMITTED');
      await ok({ kind: 'a2a_recv' }, bob.token);
      assert.equal(stateName((await client.getTask({ id: task.id, tenant: '' })).status?.state), 'WORKING');
      await ok({ kind: 'a2a_respond', task_id: task.id, status: 'error', error_message: 'could not' }, bob.token);
      const failed = await client.getTask({ id: task.id, tenant: '' });
      assert.equal(stateName(failed.status?.state), 'FAILED');
      assert.equal(failed.status?.message?.parts[0]?.content?.value, 'could not');
    } finally {
      await bounded.close();
    }
  });

  for (const [version, client] of [['1.0', () => v1], ['0.3', () => v03]] as const) {
    it(`v${version}: streaming events, and a subscribe after a disconnect replays every event it missed`, async () => {
      const events = collect(client().sendMessageStream(message(`stream ${version}`, { covenant_recipient: 'bob@peer' })));
      await bobAnswers('streamed');
      assert.deepEqual(await events, ['task:SUBMITTED', 'status:WORKING', 'artifact:streamed|{"n":1}', 'status:COMPLETED']);

      const stream = client().sendMessageStream(message(`subscribe ${version}`, { covenant_recipient: 'bob@peer' }));
      const first = await stream.next();
      assert.equal(first.done, false);
      const payload = first.value?.payload;
      assert.equal(payload?.$case, 'task');
      const id = payload.value.id;
      await stream.return(undefined);
      assert.ok(await waitFor(() => f.gw.countToken(hashToken(alice.token)) === 0), 'the server noticed the disconnect');
      await bobAnswers('missed');
      assert.deepEqual(await collect(client().resubscribeTask({ id, tenant: '' })), ['task:SUBMITTED', 'status:WORKING', 'artifact:missed|{"n":1}', 'status:COMPLETED']);
    });
  }

  it('SSE ids: each status carries its change’s seq, and Last-Event-ID resumes after it (v1.0 and v0.3)', async () => {
    const task = taskOf(await v1.sendMessage(message('resume me', { covenant_recipient: 'bob@peer' }, { returnImmediately: true })));
    await bobAnswers('resumed');
    /** A raw subscribe: each SSE event as `<id or ->:<what>`. */
    const subscribe = async (version: '1.0' | '0.3', lastEventId?: string) => {
      const method = version === '1.0' ? 'SubscribeToTask' : 'tasks/resubscribe';
      const headers: Record<string, string> = { ...f.bearer(alice.token), 'content-type': 'application/json', ...(version === '1.0' ? { 'A2A-Version': '1.0' } : {}) };
      if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
      const response = await fetch(`${f.url}/a2a/v1`, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: { id: task.id } }) });
      const text = await response.text();
      if (!(response.headers.get('content-type') ?? '').startsWith('text/event-stream')) return { events: [], error: (JSON.parse(text) as RpcAnswer).error };
      const events = text
        .split('\n\n')
        .filter((block) => block.includes('data: '))
        .map((block) => {
          const id = /^id: (\d+)$/m.exec(block)?.[1] ?? '-';
          const result = (JSON.parse(/^data: (.*)$/m.exec(block)![1]!) as { result: Record<string, unknown> }).result;
          const what = 'task' in result || result.kind === 'task' ? 'task' : 'statusUpdate' in result || result.kind === 'status-update' ? 'status' : 'artifact';
          return `${id}:${what}`;
        });
      return { events, error: undefined };
    };
    for (const version of ['1.0', '0.3'] as const) {
      const whole = await subscribe(version);
      assert.deepEqual(whole.events.map((e) => e.split(':')[1]), ['task', 'status', 'artifact', 'status'], version);
      const [submitted, working, artifact, completed] = whole.events.map((e) => e.split(':')[0]!);
      assert.equal(artifact, '-', 'an artifact carries no id: a client cut off before its status resumes at it');
      assert.ok(Number(submitted) < Number(working) && Number(working) < Number(completed), whole.events.join(' '));
      assert.deepEqual((await subscribe(version, working)).events, ['-:artifact', `${completed}:status`], version);
      assert.deepEqual((await subscribe(version, submitted)).events, [`${working}:status`, '-:artifact', `${completed}:status`], version);
      assert.deepEqual((await subscribe(version, completed)).events, [], 'nothing after the last change');
    }
    const rows = f.t.auditKinds().length;
    const bad = await subscribe('1.0', 'yesterday');
    assert.equal(bad.error?.code, -32602);
    assert.match(bad.error?.message ?? '', /^E_BAD_REQUEST: Last-Event-ID must be the id of an event/);
    assert.deepEqual(f.t.auditKinds().slice(rows), ['request_rejected']);
  });

  it('a subscriber that is connected before the task moves follows it live', async () => {
    const quick = taskOf(await v1.sendMessage(message('follow me', { covenant_recipient: 'bob@peer' }, { returnImmediately: true })));
    const events = collect(v1.resubscribeTask({ id: quick.id, tenant: '' }));
    assert.ok(await waitFor(() => f.gw.countToken(hashToken(alice.token)) === 1));
    await bobAnswers('live');
    assert.deepEqual(await events, ['task:SUBMITTED', 'status:WORKING', 'artifact:live|{"n":1}', 'status:COMPLETED']);
  });

  it('get, list and cancel see only the caller’s tasks', async () => {
    const queued = taskOf(await v1.sendMessage(message('cancel me', { covenant_recipient: 'bob@peer' }, { returnImmediately: true })));
    assert.equal(stateName((await v1.getTask({ id: queued.id, tenant: '' })).status?.state), 'SUBMITTED');
    const listed = await v1.listTasks({ tenant: '', contextId: '', status: 0, pageSize: 2, pageToken: '', statusTimestampAfter: undefined });
    assert.equal(listed.tasks[0]?.id, queued.id, 'newest first');
    assert.equal(listed.totalSize, f.t.count('a2a_tasks', 'sender_pubkey = ?', alice.agent.pubkey));
    assert.equal(listed.nextPageToken, '2');
    const submitted = await v1.listTasks({ tenant: '', contextId: '', status: 1, pageToken: '', statusTimestampAfter: undefined });
    assert.deepEqual(submitted.tasks.map((t) => t.id), [queued.id]);
    const bobs = await (await v1Client(f.url, bob.token)).listTasks({ tenant: '', contextId: '', status: 0, pageToken: '', statusTimestampAfter: undefined });
    assert.equal(bobs.totalSize, 0, 'bob sent nothing: alice’s tasks are not his');
    await assert.rejects((await v1Client(f.url, bob.token)).getTask({ id: queued.id, tenant: '' }), /E_NOT_FOUND/);

    const canceled = await v03.cancelTask({ id: queued.id, tenant: '', metadata: undefined });
    assert.equal(stateName(canceled.status?.state), 'CANCELED');
    assert.equal(f.t.auditPayloads('a2a_task_canceled').at(-1)?.task_id, queued.id);
    const again = await rpc({ jsonrpc: '2.0', id: 7, method: 'CancelTask', params: { id: queued.id } });
    assert.equal(again.answer.error?.code, -32002);
    assert.match(again.answer.error?.message ?? '', /^E_CONFLICT: /);
  });

  it('ListTasks honours contextId, statusTimestampAfter, includeArtifacts and the documented page size (1-100)', async () => {
    const list = (params: Record<string, unknown>) => v1.listTasks({ tenant: '', contextId: '', status: 0, pageToken: '', statusTimestampAfter: undefined, ...params });
    const sent = async (text: string) => v1.getTask({ tenant: '', id: taskOf(await v1.sendMessage(message(text, { covenant_recipient: 'bob@peer' }, { returnImmediately: true }))).id });
    const first = await sent('list one');
    const second = await sent('list two');

    const byContext = await list({ contextId: first.contextId });
    assert.deepEqual(byContext.tasks.map((t) => t.id), [first.id], 'a task is its own context');
    assert.equal(byContext.totalSize, 1);
    assert.equal((await list({ contextId: 'no-such-context' })).totalSize, 0);

    const since = second.status!.timestamp!;
    const recent = await list({ statusTimestampAfter: since });
    assert.ok(recent.tasks.some((t) => t.id === second.id), 'a change at the given time is included');
    assert.ok(recent.tasks.every((t) => Date.parse(t.status!.timestamp!) >= Date.parse(since)));
    assert.ok(recent.totalSize < (await list({})).totalSize, 'older tasks are left out');
    assert.equal((await list({ statusTimestampAfter: new Date(Date.now() + 3_600_000).toISOString() })).totalSize, 0);

    const completed = await list({ status: 3 });
    assert.ok(completed.tasks.length > 0);
    assert.ok(completed.tasks.every((t) => t.artifacts.length === 0), 'no artifacts unless asked for');
    assert.ok((await list({ status: 3, includeArtifacts: true })).tasks.every((t) => t.artifacts.length === 1));
    assert.equal((await list({ pageSize: 100 })).pageSize, 100);
    assert.equal((await list({})).pageSize, 50);

    for (const params of [{ pageSize: 0 }, { pageSize: 101 }, { pageSize: 2.5 }, { statusTimestampAfter: 'yesterday' }]) {
      const rows = f.t.auditKinds().length;
      const { answer } = await rpc({ jsonrpc: '2.0', id: 3, method: 'ListTasks', params });
      assert.equal(answer.error?.code, -32602, JSON.stringify(params));
      assert.match(answer.error?.message ?? '', /^E_BAD_REQUEST: (pageSize must be an integer from 1 to 100|statusTimestampAfter must be an ISO 8601 time)/);
      assert.deepEqual(f.t.auditKinds().slice(rows), ['request_rejected'], JSON.stringify(params));
    }
  });

  it('bad input: each a JSON-RPC error with a stable code, nothing queued, one audit row', async () => {
    const tasks = f.t.count('a2a_tasks');
    const cases: Array<{ what: string; call: () => Promise<{ status: number; answer: RpcAnswer }>; code: number; row: string; message?: RegExp }> = [
      { what: 'not JSON', call: () => rpc('{"jsonrpc": "2.0", '), code: -32700, row: 'a2a_rpc_rejected', message: /^E_INVALID_JSON: / },
      { what: 'not JSON-RPC', call: () => rpc({ hello: 'world' }), code: -32602, row: 'a2a_rpc_rejected' },
      { what: 'a batch', call: () => rpc([{ jsonrpc: '2.0', id: 1, method: 'GetTask', params: { id: 'x' } }]), code: -32602, row: 'a2a_rpc_rejected' },
      { what: 'unknown method', call: () => rpc({ jsonrpc: '2.0', id: 1, method: 'DropTables', params: {} }), code: -32601, row: 'a2a_rpc_rejected', message: /^E_UNKNOWN_KIND: / },
      { what: 'unknown v0.3 method', call: () => rpc({ jsonrpc: '2.0', id: 1, method: 'tasks/explode', params: {} }, { version: null }), code: -32601, row: 'a2a_rpc_rejected' },
      { what: 'unsupported version', call: () => rpc({ jsonrpc: '2.0', id: 1, method: 'GetTask', params: { id: 'x' } }, { version: '2.0' }), code: -32009, row: 'a2a_rpc_rejected' },
      { what: 'wrong content type', call: () => rpc('{}', { contentType: 'text/plain' }), code: -32005, row: 'a2a_rpc_rejected' },
      { what: 'push notifications', call: () => rpc({ jsonrpc: '2.0', id: 1, method: 'ListTaskPushNotificationConfigs', params: { taskId: 'x' } }), code: -32003, row: 'a2a_rpc_rejected' },
      { what: 'unknown task', call: () => rpc({ jsonrpc: '2.0', id: 1, method: 'GetTask', params: { id: 'no-such-task' } }), code: -32001, row: 'request_rejected', message: /^E_NOT_FOUND: / },
      {
        what: 'unknown recipient',
        call: () => rpc({ jsonrpc: '2.0', id: 1, method: 'SendMessage', params: { message: { messageId: 'm-x', role: 'ROLE_USER', parts: [{ text: 'hi' }], metadata: { covenant_recipient: 'nobody@agent' } } } }),
        code: -32602,
        row: 'a2a_recipient_rejected',
        message: /^E_NOT_FOUND: no installed agent/,
      },
      {
        what: 'no agent fits',
        call: () => rpc({ jsonrpc: '2.0', id: 1, method: 'SendMessage', params: { message: { messageId: 'm-y', role: 'ROLE_USER', parts: [{ text: 'zzqv xkcd' }] } } }),
        code: -32602,
        row: 'a2a_recipient_rejected',
        message: /^E_NOT_FOUND: no installed agent fits/,
      },
      {
        what: 'missing capability',
        call: () => rpc({ jsonrpc: '2.0', id: 1, method: 'SendMessage', params: { message: { messageId: 'm-z', role: 'ROLE_USER', parts: [{ text: 'hi' }], metadata: { covenant_recipient: 'alice@peer' } } } }, { token: bob.token }),
        code: -32050,
        row: 'capability_check',
        message: /^E_CAPABILITY_MISSING: /,
      },
      {
        what: 'a file part',
        call: () => rpc({ jsonrpc: '2.0', id: 1, method: 'SendMessage', params: { message: { messageId: 'm-f', role: 'ROLE_USER', parts: [{ url: 'http://127.0.0.1/x' }], metadata: { covenant_recipient: 'helper@agent' } } } }),
        code: -32602,
        row: 'request_rejected',
        message: /^E_BAD_REQUEST: /,
      },
    ];
    for (const c of cases) {
      const before = f.t.auditKinds().length;
      const { status, answer } = await c.call();
      assert.equal(status, 200, c.what);
      assert.equal(answer.error?.code, c.code, `${c.what}: ${JSON.stringify(answer)}`);
      if (c.message) assert.match(answer.error?.message ?? '', c.message, c.what);
      const added = f.t.auditKinds().slice(before);
      assert.ok(added.includes(c.row), `${c.what}: ${added.join(',')}`);
      assert.equal(added.filter((k) => k !== 'capability_check').length, c.row === 'capability_check' ? 0 : 1, `${c.what}: one refusal row, got ${added.join(',')}`);
    }
    assert.deepEqual(rpcRows().at(-1), { method: 'ListTaskPushNotificationConfigs', version: '1.0', rpc_code: -32003, code: 'E_BAD_REQUEST' });
    assert.equal(f.t.count('a2a_tasks'), tasks, 'nothing queued');

    // A token sent as a method or a version is never repeated whole.
    for (const [options, code] of [
      [{ version: null }, -32601],
      [{ version: bob.token }, -32009],
    ] as const) {
      const echo = await rpc({ jsonrpc: '2.0', id: 1, method: bob.token, params: {} }, options);
      assert.equal(echo.answer.error?.code, code, JSON.stringify(echo.answer));
      assert.ok(!JSON.stringify(echo.answer).includes(bob.token), JSON.stringify(echo.answer));
    }
    assert.ok(!JSON.stringify(f.t.auditPayloads('a2a_rpc_rejected')).includes(bob.token));

    // An oversized body is not read: a JSON-RPC "Invalid Request" with the Covenant code, HTTP 413, one frame_rejected row.
    for (const version of ['1.0', null]) {
      const rows = f.t.auditKinds().length;
      const big = await fetch(`${f.url}/a2a/v1`, {
        method: 'POST',
        headers: { ...f.bearer(alice.token), 'content-type': 'application/json', ...(version ? { 'A2A-Version': version } : {}) },
        body: 'x'.repeat(8 * 1024 * 1024 + 1),
      });
      assert.equal(big.status, 413);
      const refusal = (await big.json()) as RpcAnswer;
      assert.equal(refusal.jsonrpc, '2.0');
      assert.equal(refusal.id, null);
      assert.equal(refusal.error?.code, -32600);
      assert.match(refusal.error?.message ?? '', /^E_FRAME_TOO_LARGE: request bodies are limited to 8388608 bytes/);
      assert.deepEqual(refusal.error?.data, { covenant_code: 'E_FRAME_TOO_LARGE' });
      assert.deepEqual(f.t.auditKinds().slice(rows), ['frame_rejected'], 'audited once');
      assert.equal(f.t.auditPayloads('frame_rejected').at(-1)?.path, '/a2a/v1');
    }
    const anonymous = await fetch(`${f.url}/a2a/v1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(anonymous.status, 401);
    assert.equal(f.t.count('a2a_tasks'), tasks, 'nothing queued');
  });
});
