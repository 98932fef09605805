// A stand-in remote daemon for the federation tests: the SDK's own sample server pieces
// (DefaultRequestHandler, InMemoryTaskStore, a trivial executor, JsonRpcTransportHandler) on
// 127.0.0.1, serving a card signed with a test key, with faults the tests switch on.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { TaskState, type AgentCard, type Message, type SendMessageRequest, type Task } from '@a2a-js/sdk';
import {
  AgentEvent,
  DefaultRequestHandler,
  InMemoryTaskStore,
  JsonRpcTransportHandler,
  ServerCallContext,
  type AgentExecutor,
  type ExecutionEventBus,
  type RequestContext,
} from '@a2a-js/sdk/server';
import { buildAgentCard, signAgentCard } from '../../src/a2a/index.js';
import { generateSeed, keyPairFromSeed, type KeyPair } from '../../src/identity/index.js';

export const REMOTE_TOKEN = 'remote-test-token-0123456789';

/**
 * What the remote does with a JSON-RPC post: answer 503, answer something that is not JSON-RPC,
 * never answer, run it and cut the connection instead of answering (a lost reply), or refuse
 * the token (401, 403: a revoked peer).
 */
export type RpcFault = 'none' | 'unavailable' | 'garbage' | 'hang' | 'drop_reply' | 'unauthorized' | 'forbidden';

/** Echoes the text back as an artifact; `hold` keeps each task WORKING until `release` (or its cancel). */
class EchoExecutor implements AgentExecutor {
  /** Runs per message id: federation must never make one run twice. */
  readonly runs = new Map<string, number>();
  /** Task ids CancelTask ended. */
  readonly canceled: string[] = [];
  hold = false;
  private readonly held = new Map<string, (canceled: boolean) => void>();

  async execute(request: RequestContext, bus: ExecutionEventBus): Promise<void> {
    const message = request.userMessage;
    this.runs.set(message.messageId, (this.runs.get(message.messageId) ?? 0) + 1);
    const text = message.parts.map((p) => (p.content?.$case === 'text' ? p.content.value : '')).join(' ');
    const status = (state: TaskState) => ({ state, message: undefined, timestamp: new Date().toISOString() });
    bus.publish(AgentEvent.task({ id: request.taskId, contextId: request.contextId, status: status(TaskState.TASK_STATE_WORKING), artifacts: [], history: [message], metadata: message.metadata }));
    if (this.hold && (await new Promise<boolean>((resolve) => this.held.set(request.taskId, resolve)))) return;
    const recipient: unknown = message.metadata?.covenant_recipient;
    bus.publish(
      AgentEvent.artifactUpdate({
        taskId: request.taskId,
        contextId: request.contextId,
        artifact: { artifactId: 'answer', name: 'answer', description: '', parts: [{ content: { $case: 'text', value: `${typeof recipient === 'string' ? recipient : '?'} says: ${text}` }, metadata: undefined, filename: '', mediaType: 'text/plain' }], metadata: undefined, extensions: [] },
        append: false,
        lastChunk: true,
        metadata: undefined,
      }),
    );
    bus.publish(AgentEvent.statusUpdate({ taskId: request.taskId, contextId: request.contextId, status: status(TaskState.TASK_STATE_COMPLETED), metadata: undefined }));
    bus.finished();
  }

  async cancelTask(taskId: string, bus: ExecutionEventBus): Promise<void> {
    this.held.get(taskId)?.(true);
    this.held.delete(taskId);
    this.canceled.push(taskId);
    bus.publish(AgentEvent.statusUpdate({ taskId, contextId: taskId, status: { state: TaskState.TASK_STATE_CANCELED, message: undefined, timestamp: new Date().toISOString() }, metadata: undefined }));
    bus.finished();
  }

  get heldCount(): number {
    return this.held.size;
  }

  release(): void {
    this.hold = false;
    for (const resolve of this.held.values()) resolve(false);
    this.held.clear();
  }
}

/** The SDK's request handler, with the contract a Covenant remote keeps: a message id already seen answers its task. */
class IdempotentHandler extends DefaultRequestHandler {
  private readonly byMessage = new Map<string, string>();
  constructor(
    card: AgentCard,
    private readonly store: InMemoryTaskStore,
    executor: AgentExecutor,
  ) {
    super(card, store, executor);
  }

  override async sendMessage(params: SendMessageRequest, context: ServerCallContext): Promise<Message | Task> {
    const known = this.byMessage.get(params.message!.messageId);
    if (known !== undefined) {
      const task = await this.store.load(known, context);
      if (task) return task;
    }
    const answer = await super.sendMessage(params, context);
    if ('status' in answer) this.byMessage.set(params.message!.messageId, answer.id);
    return answer;
  }
}

export class StandInRemote {
  readonly executor = new EchoExecutor();
  keys: KeyPair = keyPairFromSeed(generateSeed());
  /** The fault of every post while set. */
  rpcFault: RpcFault = 'none';
  /** Faults of the next posts, one each (before `rpcFault`). */
  nextFaults: RpcFault[] = [];
  cardFault: 'none' | 'hang' = 'none';
  rpcCalls = 0;
  private readonly store = new InMemoryTaskStore();
  private readonly transport: JsonRpcTransportHandler;
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor() {
    const card = buildAgentCard({ baseUrl: 'http://127.0.0.1', version: 'test', agents: [] }) as unknown as AgentCard;
    this.transport = new JsonRpcTransportHandler(new IdempotentHandler(card, this.store, this.executor));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Listens (again, on the same port after a `stop`): the tasks it knows survive, like a durable remote's. */
  async start(): Promise<void> {
    const server = createServer((req, res) => void this.serve(req, res));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Stops answering at once (open connections are cut), as a killed daemon would. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === 'GET' && req.url === '/.well-known/agent-card.json') {
      if (this.cardFault === 'hang') return;
      const card = signAgentCard(buildAgentCard({ baseUrl: this.url, version: 'test', agents: [] }), this.keys);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(card));
      return;
    }
    if (req.method !== 'POST' || req.url !== '/a2a/v1') return void res.writeHead(404).end();
    if (req.headers.authorization !== `Bearer ${REMOTE_TOKEN}`) return void res.writeHead(401).end();
    let body = '';
    for await (const chunk of req) body += String(chunk);
    this.rpcCalls += 1;
    const fault = this.nextFaults.shift() ?? this.rpcFault;
    if (fault === 'hang') return;
    if (fault === 'garbage') return void res.writeHead(200, { 'content-type': 'application/json' }).end('<html>not an answer</html>');
    if (fault === 'unavailable') return void res.writeHead(503).end();
    if (fault === 'unauthorized' || fault === 'forbidden') {
      return void res.writeHead(fault === 'unauthorized' ? 401 : 403, { 'content-type': 'application/json' }).end('{"kind":"error","code":"E_AUTH_FAILED","message":"no"}');
    }
    const answer = await this.transport.handle(JSON.parse(body) as Record<string, unknown>, new ServerCallContext({ requestedVersion: '1.0' }));
    if (fault === 'drop_reply') return void res.socket?.destroy();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
  }
}
