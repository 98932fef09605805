/**
 * The one schema of `$COVENANT_HOME/config.toml` (docs/configuration.md). Every table is strict:
 * an unknown section or key is an error, like a bad value. Each part's own table schema is
 * used here, so what covenantd validates at start and what the part reads are the same thing.
 */
import { z } from 'zod';
import { McpServerListSchema } from '../mcp/index.js';
import { RetentionTableSchema } from '../memory/index.js';

export const DEFAULT_OLLAMA_ENDPOINT = 'http://127.0.0.1:11434';
export const MODEL_PROVIDERS = ['ollama', 'llama-cpp', 'none'] as const;

const PositiveInt = (max: number) => z.number().int('a whole number').min(1).max(max);

/** `[model]` (SPEC 16): the local model provider. */
export const ModelConfigSchema = z.strictObject({
  provider: z.enum(MODEL_PROVIDERS).default('none'),
  endpoint: z.url({ protocol: /^https?$/, error: 'an http(s) URL, e.g. "http://127.0.0.1:11434"' }).default(DEFAULT_OLLAMA_ENDPOINT),
  chat_model: z.string().min(1).optional(),
  embed_model: z.string().min(1).optional(),
  timeout_ms: PositiveInt(3_600_000).optional(),
  max_tokens: PositiveInt(1_000_000).optional(),
  keep_alive: z.union([z.string().min(1), z.number().int()]).optional(),
  model_path: z.string().startsWith('/', 'an absolute path to a .gguf file').optional(),
  threads: PositiveInt(256).optional(),
  context_size: PositiveInt(1_048_576).optional(),
});

export const ConfigSchema = z.strictObject({
  model: ModelConfigSchema.default(() => ModelConfigSchema.parse({})),
  memory: z.strictObject({ retention: RetentionTableSchema }).default(() => ({ retention: RetentionTableSchema.parse(undefined) })),
  mcp: z.strictObject({ server: McpServerListSchema.default([]) }).default({ server: [] }),
});

/** The effective configuration: the file with every default filled in. */
export type Config = z.output<typeof ConfigSchema>;
