/**
 * The one schema of `$COVENANT_HOME/config.toml` (docs/configuration.md). Every table is strict:
 * an unknown section or key is an error, like a bad value. Each part's own table schema is
 * used here, so what covenantd validates at start and what the part reads are the same thing.
 */
import { z } from 'zod';
import { McpServerListSchema } from '../mcp/index.js';
import { RetentionTableSchema } from '../memory/index.js';
import { ModelConfigSchema } from '../model/index.js';

export const ConfigSchema = z.strictObject({
  model: ModelConfigSchema.default(() => ModelConfigSchema.parse({})),
  memory: z.strictObject({ retention: RetentionTableSchema }).default(() => ({ retention: RetentionTableSchema.parse(undefined) })),
  mcp: z.strictObject({ server: McpServerListSchema.default([]) }).default({ server: [] }),
});

/** The effective configuration: the file with every default filled in. */
export type Config = z.output<typeof ConfigSchema>;
