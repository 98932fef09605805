// docs/configuration.md lists every key of config.toml's schema, and nothing else.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ConfigSchema } from '../../src/config/index.js';
import { ModelConfigSchema } from '../../src/model/index.js';
import { McpServerConfigSchema } from '../../src/mcp/index.js';

test('docs/configuration.md documents exactly the keys of the schema', () => {
  const doc = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
  const documented = [...doc.matchAll(/^\| `([a-z_.<>[\]]+)` \|/gm)].map((m) => m[1]!).sort();
  assert.deepEqual(Object.keys(ConfigSchema.shape), ['model', 'memory', 'mcp'], 'a new section needs its table in docs/configuration.md');
  const expected = [
    ...Object.keys(ModelConfigSchema.shape).map((key) => `model.${key}`),
    'memory.retention.<tier>.max_age_ms',
    'memory.retention.<tier>.max_count',
    ...Object.keys(McpServerConfigSchema.shape).map((key) => `mcp.server[].${key}`),
  ].sort();
  assert.deepEqual(documented, expected);
});
