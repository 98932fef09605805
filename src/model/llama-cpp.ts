/**
 * The llama-cpp provider (SPEC 16): a GGUF file on disk, run by node-llama-cpp in a supervised
 * child process (`llama-worker`), never in the daemon's own process: llama.cpp aborts its
 * process on some bad files. The child is started on first use, restarted on the next call if
 * it died, and killed when the daemon stops. node-llama-cpp is imported only in the child, so
 * a daemon without this provider never loads it.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CovenantError } from '../core/index.js';
import { readGguf } from './gguf.js';
import type { WorkerReply, WorkerRequest, WorkerSettings } from './llama-worker-protocol.js';
import type { ChatAnswer, ChatRequest, EmbedAnswer, ModelProvider } from './provider.js';

export interface LlamaCppOptions extends WorkerSettings {
  timeoutMs: number;
  /** Environment of the child (PATH, HOME; never the daemon's secrets). */
  env?: NodeJS.ProcessEnv;
}

const STDERR_TAIL_BYTES = 4096;
const STOP_WAIT_MS = 2000;

type Pending = { resolve: (reply: WorkerReply) => void; reject: (error: CovenantError) => void };

interface Worker {
  child: ChildProcess;
  ready: Promise<void>;
  pending: Map<number, Pending>;
  stderr: string;
  exited: Promise<void>;
}

/** The worker module next to this one: .js when built, .ts under tsx (tests). */
function workerEntry(): { file: string; execArgv: string[] } {
  const here = fileURLToPath(import.meta.url);
  const ts = here.endsWith('.ts');
  return { file: path.join(path.dirname(here), ts ? 'llama-worker.ts' : 'llama-worker.js'), execArgv: ts ? ['--import', 'tsx'] : [] };
}

export class LlamaCppProvider implements ModelProvider {
  readonly name = 'llama-cpp';
  private worker: Worker | null = null;
  private nextId = 1;
  private closed = false;
  /** How many times the child was started (status and tests). */
  starts = 0;

  constructor(private readonly options: LlamaCppOptions) {}

  get pid(): number | undefined {
    return this.worker?.child.pid;
  }

  private get label(): string {
    return `GGUF model ${path.basename(this.options.modelPath)}`;
  }

  async chat(request: ChatRequest, signal: AbortSignal): Promise<ChatAnswer & { firstTokenMs: number | null }> {
    const reply = await this.request({ op: 'chat', id: 0, messages: request.messages, maxTokens: request.maxTokens }, signal);
    if (!('text' in reply)) throw new CovenantError('E_MODEL_FAILED', `${this.label}: the model process answered out of turn`);
    return { text: reply.text, model: path.basename(this.options.modelPath), tokens: reply.tokens, firstTokenMs: reply.firstTokenMs };
  }

  async embed(input: string[], signal: AbortSignal): Promise<EmbedAnswer> {
    const reply = await this.request({ op: 'embed', id: 0, input }, signal);
    if (!('vectors' in reply)) throw new CovenantError('E_MODEL_FAILED', `${this.label}: the model process answered out of turn`);
    return { model: path.basename(this.options.modelPath), vectors: reply.vectors, tokens: reply.tokens };
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = null;
    if (worker === null) return;
    worker.child.kill('SIGTERM');
    const timer = setTimeout(() => worker.child.kill('SIGKILL'), STOP_WAIT_MS);
    await worker.exited;
    clearTimeout(timer);
  }

  private async request(message: WorkerRequest, signal: AbortSignal): Promise<WorkerReply> {
    if (this.closed) throw new CovenantError('E_SHUTTING_DOWN', 'the daemon is stopping; the model call was not made');
    const worker = this.start();
    await worker.ready;
    const id = this.nextId++;
    return new Promise<WorkerReply>((resolve, reject) => {
      const timeout = setTimeout(() => {
        finish();
        worker.child.send({ op: 'cancel', id } satisfies WorkerRequest);
        reject(new CovenantError('E_MODEL_TIMEOUT', `${this.label} did not answer within ${this.options.timeoutMs} ms; raise [model] timeout_ms or lower max_tokens`));
      }, this.options.timeoutMs);
      const onAbort = () => {
        finish();
        worker.child.send({ op: 'cancel', id } satisfies WorkerRequest);
        reject(new CovenantError('E_MODEL_FAILED', `the call to ${this.label} was cancelled`));
      };
      const finish = () => {
        clearTimeout(timeout);
        signal.removeEventListener('abort', onAbort);
        worker.pending.delete(id);
      };
      worker.pending.set(id, {
        resolve: (reply) => {
          finish();
          if ('ok' in reply && !reply.ok) reject(new CovenantError(reply.code, `${this.label}: ${reply.message}`));
          else resolve(reply);
        },
        reject: (error) => {
          finish();
          reject(error);
        },
      });
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      worker.child.send({ ...message, id });
    });
  }

  /** The running child, or a new one (first use, or the last one died). */
  private start(): Worker {
    if (this.worker !== null) return this.worker;
    const file = readGguf(this.options.modelPath);
    if (!file.ok) {
      const code = file.problem === 'no such file' ? 'E_MODEL_NOT_FOUND' : 'E_MODEL_UNAVAILABLE';
      throw new CovenantError(code, `${this.label} (config.toml [model] model_path): ${file.problem}; point model_path at a complete GGUF file`);
    }
    const entry = workerEntry();
    const env: NodeJS.ProcessEnv = {
      PATH: this.options.env?.PATH ?? process.env.PATH,
      HOME: this.options.env?.HOME ?? process.env.HOME,
      NODE_LLAMA_CPP_SKIP_DOWNLOAD: 'true',
      COVENANT_LLAMA_SETTINGS: JSON.stringify({ modelPath: this.options.modelPath, threads: this.options.threads, contextSize: this.options.contextSize } satisfies WorkerSettings),
    };
    const child = fork(entry.file, [], { env, execArgv: entry.execArgv, stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'json' });
    this.starts += 1;
    let readyResolve!: () => void;
    let readyReject!: (error: CovenantError) => void;
    const worker: Worker = {
      child,
      ready: new Promise((resolve, reject) => {
        readyResolve = resolve;
        readyReject = reject;
      }),
      pending: new Map(),
      stderr: '',
      exited: new Promise((resolve) => child.once('exit', () => resolve())),
    };
    void worker.ready.catch(() => {});
    this.worker = worker;
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      worker.stderr = (worker.stderr + chunk).slice(-STDERR_TAIL_BYTES);
    });
    child.on('message', (reply: WorkerReply) => {
      if (reply.id === 0 && 'ready' in reply) {
        if (reply.ready) readyResolve();
        else {
          readyReject(new CovenantError('E_MODEL_UNAVAILABLE', `${this.label} could not be loaded: ${reply.message}; point model_path at a valid GGUF file`));
          child.kill('SIGKILL');
        }
        return;
      }
      worker.pending.get(reply.id)?.resolve(reply);
    });
    child.on('error', () => {}); // 'exit' follows and says what happened
    child.once('exit', (code, signal) => {
      if (this.worker === worker) this.worker = null;
      const tail = lastLine(worker.stderr);
      const how = signal !== null ? `was killed by ${signal}` : `exited with code ${code}`;
      const error = new CovenantError(
        'E_MODEL_UNAVAILABLE',
        `the process running ${this.label} ${how}${signal === 'SIGABRT' ? ' (llama.cpp aborted on the file: it is not a complete llama GGUF)' : ''}${tail ? `: ${tail}` : ''}; the next call starts it again`,
      );
      readyReject(error);
      for (const pending of worker.pending.values()) pending.reject(error);
      worker.pending.clear();
    });
    return worker;
  }
}

function lastLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  return (lines.at(-1) ?? '').slice(0, 300);
}
