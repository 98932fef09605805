// `SendMessage` to the local `hello` agent through POST /a2a/v1 (mailbox, gates, audit rows,
// receipts, the agent run) vs the same SDK client against the SDK's in-memory sample server
// (its DefaultRequestHandler, InMemoryTaskStore and a trivial executor) on 127.0.0.1.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Role, SendMessageRequest, TaskState, type AgentCard } from '@a2a-js/sdk';
import { ClientFactory, type Client } from '@a2a-js/sdk/client';
import { DefaultRequestHandler, InMemoryTaskStore, JsonRpcTransportHandler, ServerCallContext, type AgentExecutor } from '@a2a-js/sdk/server';
import { buildAgentCard, connectRemote } from '../../src/a2a/index.js';
import { IpcClient } from '../../src/ipc/index.js';
import { alternateAll, alternateBatches, latencyRatio, percentile, type Ratio } from './stats.js';

const echo: AgentExecutor = {
  execute: async (request, bus) => {
    const text = request.userMessage.parts.map((p) => (p.content?.$case === 'text' ? p.content.value : '')).join('');
    bus.publish({
      kind: 'task',
      data: {
        id: request.taskId,
        contextId: request.contextId,
        status: { state: TaskState.TASK_STATE_COMPLETED, message: undefined, timestamp: new Date().toISOString() },
        artifacts: [{ artifactId: 'result', name: 'result', description: '', parts: [{ content: { $case: 'text', value: `hello: ${text}` }, metadata: undefined, filename: '', mediaType: 'text/plain' }], metadata: undefined, extensions: [] }],
        history: [request.userMessage],
        metadata: undefined,
      },
    });
    bus.finished();
  },
  cancelTask: async () => undefined,
};

/** The SDK's sample server: its own request handler, in-memory store and JSON-RPC transport handler on 127.0.0.1. */
async function sampleServer(): Promise<{ client: Client; close: () => Promise<void> }> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      void transport.handle(Buffer.concat(chunks).toString('utf8'), new ServerCallContext({ requestedVersion: '1.0' })).then((answer) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify(answer));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const card = buildAgentCard({ baseUrl: base, version: 'sample', agents: [] }) as unknown as AgentCard;
  const transport = new JsonRpcTransportHandler(new DefaultRequestHandler(card, new InMemoryTaskStore(), echo));
  const client = await new ClientFactory().createFromAgentCard({ ...card, supportedInterfaces: card.supportedInterfaces.filter((i) => i.protocolVersion === '1.0') });
  return { client, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

async function call(client: IpcClient, request: Record<string, unknown> & { kind: string }): Promise<Record<string, unknown>> {
  const reply = await client.request(request);
  if (reply.kind === 'error') throw new Error(`${request.kind}: ${JSON.stringify(reply)}`);
  return reply;
}

const send = (client: Client, text: string, metadata: Record<string, string>, expect = TaskState.TASK_STATE_COMPLETED) => async () => {
  const result = await client.sendMessage(
    SendMessageRequest.fromJSON({
      message: { messageId: randomUUID(), role: Role.ROLE_USER, parts: [{ text }], metadata },
      ...(expect === TaskState.TASK_STATE_SUBMITTED ? { configuration: { returnImmediately: true } } : {}),
    }),
  );
  const state = (result as { status?: { state: number } }).status?.state;
  if (state !== expect) throw new Error(`SendMessage answered ${JSON.stringify(result)}`);
};

/** `submit_intent --agent hello` over the socket as `client`: the agent's own run, without A2A. */
const intent = (client: IpcClient) => async () => {
  const reply = await client.request({ kind: 'submit_intent', text: 'hello bench', agent: 'hello' });
  if (reply.status !== 'ok') throw new Error(`intent failed: ${JSON.stringify(reply)}`);
};

/**
 * The full round trip to `hello` (target 1.5) with its floor: the same peer's `submit_intent
 * --agent hello` over the socket, back to back like the SendMessages (each finds the warm
 * process its predecessor's replacement started, or waits for it), all three interleaved; and,
 * reported only, the protocol and durability share alone: a returnImmediately SendMessage to a
 * peer (admission, the queued task's transaction, audit row) against the same sample server.
 */
export async function benchA2aProtocol(repoRoot: string, sock: string, operatorToken: string, baseUrl: string, count = 60): Promise<Ratio[]> {
  const ipc = await IpcClient.connect(sock);
  await ipc.authenticate(operatorToken);
  await call(ipc, { kind: 'agents_install', dir: join(repoRoot, 'agents', 'hello') });
  const peer = await call(ipc, { kind: 'peers_add', name: 'a2a-bench' });
  await call(ipc, { kind: 'peers_add', name: 'a2a-sink' });
  for (const action of ['a2a.send.hello@agent', 'intent.submit', 'a2a.send.a2a-sink@peer']) await call(ipc, { kind: 'capabilities_grant', action, to: 'a2a-bench@peer' });
  await call(ipc, { kind: 'capabilities_grant', action: 'a2a.recv.a2a-bench@peer', to: 'a2a-sink@peer' });
  ipc.close();
  const covenant = (await connectRemote(baseUrl, { token: String(peer.token_b58) })).client;
  const socket = await IpcClient.connect(sock);
  await socket.authenticate(String(peer.token_b58));
  const sample = await sampleServer();
  try {
    const [subject = [], baseline = [], floor = []] = await alternateAll(
      [send(covenant, 'hello bench', { covenant_recipient: 'hello@agent' }), send(sample.client, 'hello bench', {}), intent(socket)],
      count,
      6,
      6,
    );
    const [queued, sampled] = await alternateBatches(
      send(covenant, 'queued bench', { covenant_recipient: 'a2a-sink@peer' }, TaskState.TASK_STATE_SUBMITTED),
      send(sample.client, 'queued bench', {}),
      count * 2,
      10,
      6,
    );
    const baselineName = 'SDK DefaultRequestHandler + InMemoryTaskStore';
    const floorName = 'submit_intent --agent hello on the socket, back to back (the agent run alone)';
    return [
      latencyRatio(
        { name: 'A2A SendMessage to hello through the gateway vs the SDK in-memory sample server (p50)', subject: 'POST /a2a/v1 → mailbox → hello', baseline: baselineName },
        percentile(subject, 50),
        percentile(baseline, 50),
        1.5,
      ),
      latencyRatio(
        { name: 'floor of row above: hello run by an intent vs the same sample server (p50)', subject: floorName, baseline: baselineName },
        percentile(floor, 50),
        percentile(baseline, 50),
        'reported (no target set)',
      ),
      latencyRatio(
        { name: 'A2A SendMessage to hello vs the same run as an intent (what A2A adds, p50)', subject: 'POST /a2a/v1 → mailbox → hello', baseline: floorName },
        percentile(subject, 50),
        percentile(floor, 50),
        'reported (no target set)',
      ),
      latencyRatio(
        { name: 'A2A SendMessage queued for a peer (returnImmediately) vs the same sample server (p50)', subject: 'POST /a2a/v1 → durable queue', baseline: baselineName },
        percentile(queued, 50),
        percentile(sampled, 50),
        'reported (no target set)',
      ),
    ];
  } finally {
    socket.close();
    await sample.close();
  }
}
