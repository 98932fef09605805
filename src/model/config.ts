/**
 * `[model]` of config.toml (SPEC 16): which provider serves `model.chat` / `model.embed`, and its
 * settings. Strict: an unknown key or a bad value is an error naming the key.
 */
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseConfigToml } from '../home/index.js';

export const DEFAULT_OLLAMA_ENDPOINT = 'http://127.0.0.1:11434';
export const MODEL_PROVIDERS = ['ollama', 'llama-cpp', 'none'] as const;

const positiveInt = (max: number) => z.number().int('a whole number').positive().max(max);

export const ModelConfigSchema = z
  .strictObject({
    provider: z.enum(MODEL_PROVIDERS).default('none'),
    /** Ollama's address; COVENANT_OLLAMA_ENDPOINT wins over it. */
    endpoint: z.url({ protocol: /^https?$/, error: 'an http(s) URL, e.g. "http://127.0.0.1:11434"' }).default(DEFAULT_OLLAMA_ENDPOINT),
    chat_model: z.string().trim().min(1).max(256).optional(),
    embed_model: z.string().trim().min(1).max(256).optional(),
    /** Per call: a chat or embed request that takes longer is cancelled (E_MODEL_TIMEOUT). */
    timeout_ms: positiveInt(3_600_000).default(120_000),
    /** Upper bound on generated tokens per chat call (an agent may ask for fewer). */
    max_tokens: positiveInt(32_768).default(512),
    // ollama
    keep_alive: z.union([z.string().max(32), z.number().int()]).optional(),
    // llama-cpp
    model_path: z.string().trim().max(4096).startsWith('/', 'an absolute path to a .gguf file').optional(),
    /** CPU threads for inference; 1 is right on small shared machines (docs/local-model.md). */
    threads: positiveInt(256).default(1),
    context_size: positiveInt(1_048_576).default(2048),
  })
  .superRefine((c, ctx) => {
    if (c.provider === 'ollama' && c.chat_model === undefined && c.embed_model === undefined) {
      ctx.addIssue({ code: 'custom', path: ['chat_model'], message: 'provider "ollama" needs chat_model (and/or embed_model)' });
    }
    if (c.provider === 'llama-cpp' && c.model_path === undefined) {
      ctx.addIssue({ code: 'custom', path: ['model_path'], message: 'provider "llama-cpp" needs model_path (a GGUF file)' });
    }
  });
export type ModelConfig = z.output<typeof ModelConfigSchema>;

/** Where each setting came from matters only for the endpoint (COVENANT_OLLAMA_ENDPOINT wins). */
export function readModelConfig(configPath: string, env: NodeJS.ProcessEnv = process.env): { config: ModelConfig } | { error: string } {
  let section: unknown = {};
  if (existsSync(configPath)) {
    const parsed = parseConfigToml(readFileSync(configPath, 'utf8'), configPath);
    if ('error' in parsed) return { error: parsed.error };
    section = parsed.document.model ?? {};
  }
  const result = ModelConfigSchema.safeParse(section);
  if (!result.success) {
    const first = result.error.issues[0];
    const where = first && first.path.length > 0 ? `model.${first.path.join('.')}` : 'model';
    return { error: `${configPath}: ${where}: ${first?.message ?? 'invalid'}` };
  }
  const config = result.data;
  const fromEnv = env.COVENANT_OLLAMA_ENDPOINT?.trim();
  if (config.provider === 'ollama' && fromEnv) config.endpoint = fromEnv;
  return { config };
}
