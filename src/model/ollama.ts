/**
 * The Ollama provider (SPEC 16): `POST /api/chat` (stream false) and `POST /api/embed` (batched
 * `input`) over fetch, each within `timeout_ms`, with a 16 MiB body cap. Ollama may answer 200
 * with `{"error": ...}` lines: they are errors. A missing model says to run `ollama pull X`.
 */
import { CovenantError, quoteInput } from '../core/index.js';
import { MAX_MODEL_BODY_BYTES, readCappedBody } from './http-body.js';
import type { ChatAnswer, ChatRequest, EmbedAnswer, ModelProvider } from './provider.js';

export interface OllamaOptions {
  endpoint: string;
  chatModel?: string | undefined;
  embedModel?: string | undefined;
  timeoutMs: number;
  keepAlive?: string | number | undefined;
  maxBodyBytes?: number;
}

type Json = Record<string, unknown>;

export class OllamaProvider implements ModelProvider {
  readonly name = 'ollama';
  private readonly base: string;

  constructor(private readonly options: OllamaOptions) {
    this.base = options.endpoint.replace(/\/+$/, '');
  }

  async chat(request: ChatRequest, signal: AbortSignal): Promise<ChatAnswer> {
    const model = this.need(this.options.chatModel, 'chat_model');
    const body: Json = { model, messages: request.messages, stream: false, options: { num_predict: request.maxTokens } };
    if (this.options.keepAlive !== undefined) body.keep_alive = this.options.keepAlive;
    const answer = await this.post('/api/chat', body, model, signal);
    const message = answer.message as Json | undefined;
    if (typeof message?.content !== 'string') throw this.garbage('/api/chat', 'no message.content');
    return {
      text: message.content,
      model,
      tokens: { prompt: count(answer.prompt_eval_count), completion: count(answer.eval_count) },
    };
  }

  async embed(input: string[], signal: AbortSignal): Promise<EmbedAnswer> {
    const model = this.need(this.options.embedModel, 'embed_model');
    const answer = await this.post('/api/embed', { model, input }, model, signal);
    const vectors = answer.embeddings;
    if (!Array.isArray(vectors) || vectors.length !== input.length || !vectors.every((v) => Array.isArray(v) && v.every((x) => typeof x === 'number'))) {
      throw this.garbage('/api/embed', `expected ${input.length} embedding vector(s)`);
    }
    return { model, vectors, tokens: count(answer.prompt_eval_count) };
  }

  async close(): Promise<void> {}

  private need(model: string | undefined, key: string): string {
    if (model === undefined) throw new CovenantError('E_MODEL_UNAVAILABLE', `no ${key} in config.toml [model]; set it to a model Ollama has (\`ollama list\`)`);
    return model;
  }

  private garbage(path: string, why: string): CovenantError {
    return new CovenantError('E_MODEL_FAILED', `Ollama at ${this.base} answered ${path} with something that is not an answer (${why})`);
  }

  /** One POST; the body's JSON object, or a CovenantError that says what to do. */
  private async post(path: string, body: Json, model: string, signal: AbortSignal): Promise<Json> {
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${this.base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.any([signal, timeout]),
        redirect: 'error',
      });
      text = await readCappedBody(response, this.options.maxBodyBytes ?? MAX_MODEL_BODY_BYTES, `Ollama at ${this.base}`);
    } catch (error) {
      if (error instanceof CovenantError) throw error;
      if (timeout.aborted) throw new CovenantError('E_MODEL_TIMEOUT', `Ollama at ${this.base} did not answer ${path} within ${this.options.timeoutMs} ms; raise [model] timeout_ms or use a smaller model`);
      if (signal.aborted) throw new CovenantError('E_MODEL_FAILED', `the ${path} call was cancelled`);
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      throw new CovenantError('E_MODEL_UNAVAILABLE', `Ollama at ${this.base} is not reachable (${cause}); start it with \`ollama serve\` or fix [model] endpoint`);
    }
    const error = errorIn(text);
    if (response.status === 404 || (error !== null && /not found/i.test(error))) {
      throw new CovenantError('E_MODEL_NOT_FOUND', `Ollama at ${this.base} does not have model ${quoteInput(model)}; run \`ollama pull ${model}\``);
    }
    if (error !== null) throw new CovenantError('E_MODEL_FAILED', `Ollama at ${this.base} answered ${path} with an error: ${quoteInput(error)}`);
    if (!response.ok) throw new CovenantError('E_MODEL_FAILED', `Ollama at ${this.base} answered ${path} with HTTP ${response.status}`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw this.garbage(path, 'not JSON');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw this.garbage(path, 'not a JSON object');
    return parsed as Json;
  }
}

/** The first `{"error": ...}` line of a body (Ollama reports errors this way, even with status 200). */
function errorIn(text: string): string | null {
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (!trimmed.startsWith('{')) continue;
    try {
      const value = JSON.parse(trimmed) as Json;
      if (typeof value.error === 'string') return value.error;
      if (value.error !== undefined) return JSON.stringify(value.error);
    } catch {
      // not a JSON line: the caller reports the body as a whole
    }
  }
  return null;
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : 0;
}
