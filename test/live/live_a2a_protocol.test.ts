// Live tests for the public A2A protocol (SPEC 10): the real covenantd with its gateway on a
// loopback port, the reference `hello` agent installed, and the SDK's own clients made from the
// live card URL — v1.0 through the client module Covenant ships (src/a2a/client), v0.3 through
// the SDK's compatibility layer. External service: none beyond the binaries and loopback HTTP.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { StreamResponse } from '@a2a-js/sdk';
import type { Client } from '@a2a-js/sdk/client';
import { connectRemote, type AgentCardJson } from '../../src/a2a/index.js';
import { CovenantError } from '../../src/core/index.js';
import { describeEvent, message, stateName, taskOf, v03Client, v1Client } from '../helpers/a2a-clients.js';
import { REPO_ROOT } from '../helpers/binaries.js';
import { liveHome, liveTest, type LiveHome } from './harness.js';
import { addPeer, auditPayloads, okJson, startWithHttp, type LivePeer } from './helpers.js';

const HELLO = join(REPO_ROOT, 'agents', 'hello');

function grant(live: LiveHome, action: string, to: LivePeer): void {
  okJson(live.cli(['capabilities', 'grant', action, '--to', to.agent.display, '--json']), 'capability_granted');
}

/** A daemon with its gateway, `hello` installed, alice allowed to send to it and to bob, bob serving alice. */
async function setUp(live: LiveHome): Promise<{ url: string; alice: LivePeer; bob: LivePeer }> {
  const url = await startWithHttp(live);
  okJson(live.cli(['agents', 'install', HELLO, '--json']), 'agent_installed');
  const alice = addPeer(live, 'alice');
  const bob = addPeer(live, 'bob');
  for (const action of ['a2a.send.hello@agent', 'intent.submit', 'a2a.send.bob@peer']) grant(live, action, alice);
  grant(live, 'a2a.recv.alice@peer', bob);
  grant(live, 'a2a.respond.alice@peer', bob);
  return { url, alice, bob };
}

async function collect(stream: AsyncGenerator<StreamResponse>): Promise<string[]> {
  const seen: string[] = [];
  for await (const event of stream) seen.push(describeEvent(event));
  return seen;
}

/** bob takes his next task with the CLI and answers it. */
function bobAnswers(live: LiveHome, bob: LivePeer, text: string): string {
  const env = { COVENANT_TOKEN: bob.token };
  const task = okJson(live.cli(['a2a', 'recv', '--wait-ms', '60000', '--json'], env), 'a2a_received').task as { id: string };
  okJson(live.cli(['a2a', 'respond', task.id, '--status', 'ok', '--text', text, '--json'], env), 'a2a_responded');
  return task.id;
}

liveTest('live_a2a_protocol_sdk_clients_v1_and_v03', async () => {
  const live = liveHome();
  try {
    const { url, alice, bob } = await setUp(live);
    const clients: Array<[string, Client]> = [
      ['1.0', await v1Client(url, alice.token)],
      ['0.3', await v03Client(url, alice.token)],
    ];
    for (const [version, client] of clients) {
      // Send to the installed hello agent and get its answer.
      const sent = taskOf(await client.sendMessage(message(`hello over ${version}`, { covenant_recipient: 'hello@agent' })));
      assert.equal(stateName(sent.status?.state), 'COMPLETED', `${version}: ${JSON.stringify(sent)}`);
      assert.deepEqual(sent.artifacts[0]?.parts.map((p) => p.content?.value), [`hello from covenant: hello over ${version}`]);
      // Get.
      const got = await client.getTask({ id: sent.id, tenant: '' });
      assert.equal(stateName(got.status?.state), 'COMPLETED');
      // Cancel a task bob has not taken yet.
      const queued = taskOf(await client.sendMessage(message(`cancel over ${version}`, { covenant_recipient: 'bob@peer' }, { returnImmediately: true })));
      assert.equal(stateName(queued.status?.state), 'SUBMITTED');
      const canceled = await client.cancelTask({ id: queued.id, tenant: '', metadata: undefined });
      assert.equal(stateName(canceled.status?.state), 'CANCELED');
      // Streaming events, routed by the router this time ("hello" is its keyword).
      const events = await collect(client.sendMessageStream(message(`hello stream ${version}`)));
      assert.deepEqual(events, ['task:SUBMITTED', 'status:WORKING', `artifact:hello from covenant: hello stream ${version}`, 'status:COMPLETED'], version);
    }
    // List (v1.0 only: v0.3 had no tasks/list): alice's six tasks, newest first.
    const listed = await clients[0]![1].listTasks({ tenant: '', contextId: '', status: 0, pageToken: '', statusTimestampAfter: undefined });
    assert.equal(listed.totalSize, 6);
    assert.deepEqual(listed.tasks.map((t) => stateName(t.status?.state)), ['COMPLETED', 'CANCELED', 'COMPLETED', 'COMPLETED', 'CANCELED', 'COMPLETED']);
    // Bob sees none of them.
    assert.equal((await (await v1Client(url, bob.token)).listTasks({ tenant: '', contextId: '', status: 0, pageToken: '', statusTimestampAfter: undefined })).totalSize, 0);
    // Same gates, receipts and rows as the CLI path: one message receipt per delivered task.
    const receipts = okJson(live.cli(['receipts', 'recent', '--resource', 'message', '--json']), 'receipt_list').receipts as Array<{ payer: string }>;
    assert.equal(receipts.filter((r) => r.payer === alice.pubkey).length, 4, 'the four tasks hello ran; the canceled ones were never delivered');
    assert.equal(auditPayloads(live.home, 'a2a_task_queued').length, 6);
  } finally {
    await live.dispose();
  }
}, { timeout: 300_000 });

liveTest('live_a2a_protocol_subscribe_after_disconnect_and_sigkill_replays_every_event', async () => {
  const live = liveHome();
  try {
    const { url, alice, bob } = await setUp(live);
    const port = Number(new URL(url).port);
    const ids: Array<[string, string]> = [];
    for (const [version, make] of [['1.0', v1Client], ['0.3', v03Client]] as const) {
      const client = await make(url, alice.token);
      const stream = client.sendMessageStream(message(`subscribe over ${version}`, { covenant_recipient: 'bob@peer' }));
      const first = await stream.next();
      const payload = first.value?.payload;
      assert.equal(payload?.$case, 'task');
      await stream.return(undefined); // the client goes away
      bobAnswers(live, bob, `answered while away ${version}`);
      const replay = await collect(client.resubscribeTask({ id: payload.value.id, tenant: '' }));
      assert.deepEqual(replay, ['task:SUBMITTED', 'status:WORKING', `artifact:answered while away ${version}`, 'status:COMPLETED'], version);
      ids.push([version, payload.value.id]);
    }
    // The log is durable: after SIGKILL and a restart, a subscriber still gets every event.
    await live.daemon!.stop('SIGKILL');
    await startWithHttp(live, port);
    for (const [version, id] of ids) {
      const client = version === '1.0' ? await v1Client(url, alice.token) : await v03Client(url, alice.token);
      assert.deepEqual(await collect(client.resubscribeTask({ id, tenant: '' })), ['task:SUBMITTED', 'status:WORKING', `artifact:answered while away ${version}`, 'status:COMPLETED'], version);
    }
  } finally {
    await live.dispose();
  }
}, { timeout: 300_000 });

/** Serves `card` at /.well-known/agent-card.json on 127.0.0.1 and counts requests that carried a token. */
async function cardServer(card: unknown): Promise<{ url: string; withToken: () => number; close: () => Promise<void> }> {
  let withToken = 0;
  const server: Server = createServer((request, response) => {
    if (request.headers.authorization !== undefined) withToken += 1;
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(card));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    withToken: () => withToken,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

liveTest('live_a2a_protocol_card_with_bad_signature_rejected_by_shipped_client', async () => {
  const live = liveHome();
  const servers: Array<Awaited<ReturnType<typeof cardServer>>> = [];
  try {
    const { url, alice } = await setUp(live);
    const real = (await (await fetch(`${url}/.well-known/agent-card.json`)).json()) as AgentCardJson;
    const connected = await connectRemote(url, { token: alice.token });
    // Pinning the key the live card is signed by works; the card's skills name hello.
    assert.equal((await connectRemote(url, { token: alice.token, pinnedPubkey: connected.pubkey })).pubkey, connected.pubkey);
    assert.deepEqual(connected.card.skills.map((s) => s.id), ['hello']);

    const refusedWith = async (promise: Promise<unknown>, code: string) =>
      assert.rejects(promise, (error: unknown) => error instanceof CovenantError && error.code === code);
    // The live card with one field changed: its signature no longer verifies.
    const tampered = await cardServer({ ...real, skills: [...real.skills, { ...real.skills[0], id: 'evil' }] });
    servers.push(tampered);
    await refusedWith(connectRemote(tampered.url, { token: alice.token }), 'E_REMOTE_CARD_INVALID');
    // The card stripped of its signature.
    const unsigned = await cardServer({ ...real, signatures: [] });
    servers.push(unsigned);
    await refusedWith(connectRemote(unsigned.url, { token: alice.token }), 'E_REMOTE_CARD_INVALID');
    // The untouched card, but another key is pinned.
    const copy = await cardServer(real);
    servers.push(copy);
    await refusedWith(connectRemote(copy.url, { token: alice.token, pinnedPubkey: '11111111111111111111111111111111' }), 'E_REMOTE_CARD_MISMATCH');
    assert.equal(servers.reduce((n, s) => n + s.withToken(), 0), 0, 'no refused card ever received the token');
  } finally {
    for (const server of servers) await server.close();
    await live.dispose();
  }
});
