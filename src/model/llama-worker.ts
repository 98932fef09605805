/**
 * The llama-cpp provider's child process (SPEC 16): loads one GGUF with node-llama-cpp (CPU
 * only, prebuilt binary, nothing downloaded or built) and serves chat and embed requests from
 * its parent. It runs in its own process because llama.cpp aborts the whole process on some
 * bad files (a GGML assertion); the daemon only ever sees this process die.
 *
 * Settings come in COVENANT_LLAMA_SETTINGS (JSON). Generation is greedy (temperature 0): the
 * same model and prompt give the same answer.
 */
import type { ChatMessage } from './provider.js';
import type { WorkerReply, WorkerRequest, WorkerSettings } from './llama-worker-protocol.js';

type NodeLlama = typeof import('node-llama-cpp');

function send(reply: WorkerReply): void {
  process.send?.(reply);
}

async function main(): Promise<void> {
  const settings = JSON.parse(process.env.COVENANT_LLAMA_SETTINGS ?? '{}') as WorkerSettings;
  let lib: NodeLlama;
  try {
    lib = await import('node-llama-cpp');
  } catch (error) {
    send({ id: 0, ready: false, message: `node-llama-cpp is not installed (${(error as Error).message.split('\n')[0]}); install the optional dependency or use provider "ollama"` });
    return;
  }
  let model: Awaited<ReturnType<Awaited<ReturnType<NodeLlama['getLlama']>>['loadModel']>>;
  try {
    const llama = await lib.getLlama({ gpu: false, build: 'never', maxThreads: settings.threads, logLevel: lib.LlamaLogLevel.error });
    model = await llama.loadModel({ modelPath: settings.modelPath, gpuLayers: 0 });
  } catch (error) {
    send({ id: 0, ready: false, message: (error as Error).message.split('\n')[0] ?? 'the model could not be loaded' });
    return;
  }
  const contextSize = Math.min(settings.contextSize, model.trainContextSize);
  const context = await model.createContext({ contextSize, threads: settings.threads });
  let embedding: Awaited<ReturnType<typeof model.createEmbeddingContext>> | undefined;
  const cancels = new Map<number, AbortController>();
  let queue: Promise<void> = Promise.resolve();

  const chat = async (id: number, messages: ChatMessage[], maxTokens: number, signal: AbortSignal): Promise<WorkerReply> => {
    const last = messages.at(-1);
    if (last === undefined || last.role !== 'user') return { id, ok: false, code: 'E_MODEL_FAILED', message: 'the last message must be the user\'s' };
    const system = messages.filter((m) => m.role === 'system').map((m) => m.content).join('\n');
    const sequence = context.getSequence();
    const session = new lib.LlamaChatSession({ contextSequence: sequence, systemPrompt: system, autoDisposeSequence: false });
    try {
      const history = messages.slice(0, -1).filter((m) => m.role !== 'system');
      if (history.length > 0) {
        session.setChatHistory([
          ...session.getChatHistory(),
          ...history.map((m) => (m.role === 'user' ? { type: 'user' as const, text: m.content } : { type: 'model' as const, response: [m.content] })),
        ]);
      }
      const started = performance.now();
      let firstTokenMs: number | null = null;
      const answer = await session.promptWithMeta(last.content, {
        maxTokens,
        temperature: 0,
        signal,
        stopOnAbortSignal: true,
        onTextChunk: () => {
          firstTokenMs ??= performance.now() - started;
        },
      });
      const completion = model.tokenize(answer.responseText).length;
      const prompt = Math.max(0, sequence.contextTokens.length - completion);
      return { id, ok: true, text: answer.responseText, tokens: { prompt, completion }, firstTokenMs };
    } finally {
      session.dispose();
      void sequence.dispose();
    }
  };

  const embed = async (id: number, input: string[]): Promise<WorkerReply> => {
    embedding ??= await model.createEmbeddingContext({ contextSize, threads: settings.threads });
    const vectors: number[][] = [];
    let tokens = 0;
    for (const text of input) {
      tokens += model.tokenize(text).length;
      vectors.push([...(await embedding.getEmbeddingFor(text)).vector]);
    }
    return { id, ok: true, vectors, tokens };
  };

  process.on('message', (request: WorkerRequest) => {
    if (request.op === 'cancel') {
      cancels.get(request.id)?.abort();
      return;
    }
    const cancel = new AbortController();
    cancels.set(request.id, cancel);
    // One generation at a time: the context has one sequence to spare on a small machine.
    queue = queue.then(async () => {
      try {
        send(request.op === 'chat' ? await chat(request.id, request.messages, request.maxTokens, cancel.signal) : await embed(request.id, request.input));
      } catch (error) {
        send({ id: request.id, ok: false, code: 'E_MODEL_FAILED', message: (error as Error).message.split('\n')[0] ?? 'failed' });
      } finally {
        cancels.delete(request.id);
      }
    });
  });
  process.on('disconnect', () => process.exit(0));
  send({ id: 0, ready: true });
}

void main();
