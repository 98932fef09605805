/**
 * The daemon's model (SPEC 16): the provider `[model]` of config.toml names, created on first
 * use, or none. A bad `[model]` section does not stop the daemon: every model call answers
 * E_MODEL_UNAVAILABLE naming the key to fix.
 */
import { CovenantError } from '../core/index.js';
import { readModelConfig, type ModelConfig } from './config.js';
import { LlamaCppProvider } from './llama-cpp.js';
import { OllamaProvider } from './ollama.js';
import type { ModelProvider } from './provider.js';

export class ModelService {
  private provider: ModelProvider | null = null;
  private read: { config: ModelConfig } | { error: string } | null = null;

  constructor(
    private readonly configPath: string,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  /** `[model]` as read on first use (a restart picks up a change). */
  private settings(): { config: ModelConfig } | { error: string } {
    this.read ??= readModelConfig(this.configPath, this.env);
    return this.read;
  }

  /**
   * The id of memory's embedder when `[model] embed_model` is set with a provider
   * (`<provider>:<embed_model>`), else null (the local embedder). A bad `[model]` section is
   * null too: memory keeps the local embedder and model calls say what to fix.
   */
  memoryEmbedderId(): string | null {
    // Read now, not cached: the daemon asks at start, and the provider is still made on first use.
    const read = readModelConfig(this.configPath, this.env);
    if ('error' in read || read.config.provider === 'none' || read.config.embed_model === undefined) return null;
    return `${read.config.provider}:${read.config.embed_model}`;
  }

  /** The provider, created on first use; E_MODEL_NOT_CONFIGURED / E_MODEL_UNAVAILABLE when there is none. */
  get(): { provider: ModelProvider; config: ModelConfig } {
    const read = this.settings();
    if ('error' in read) throw new CovenantError('E_MODEL_UNAVAILABLE', `no model: ${read.error}; fix [model] in config.toml and restart covenantd`);
    const config = read.config;
    if (config.provider === 'none') {
      throw new CovenantError('E_MODEL_NOT_CONFIGURED', 'no model is configured; set [model] provider = "ollama" or "llama-cpp" in config.toml (docs/local-model.md)');
    }
    this.provider ??=
      config.provider === 'ollama'
        ? new OllamaProvider({ endpoint: config.endpoint ?? '', chatModel: config.chat_model, embedModel: config.embed_model, timeoutMs: config.timeout_ms, keepAlive: config.keep_alive })
        : new LlamaCppProvider({ modelPath: config.model_path ?? '', threads: config.threads, contextSize: config.context_size, timeoutMs: config.timeout_ms, env: this.env });
    return { provider: this.provider, config };
  }

  async close(): Promise<void> {
    await this.provider?.close();
  }
}
