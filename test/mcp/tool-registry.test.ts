/** ToolRegistry.list(): sorted by name, the same array until the registry changes, then a new one. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { ToolRegistry, zodValidator, type ToolDefinition } from '../../src/mcp/index.js';

const Args = z.object({}).strict();
const tool = (name: string, description = name): ToolDefinition => ({
  name,
  description,
  server: 'builtin',
  inputSchema: z.toJSONSchema(Args),
  validate: zodValidator(Args),
  call: async () => ({ content: [], is_error: false }),
});

test('list() is sorted by name and reused until a tool is added, replaced or removed', () => {
  const registry = new ToolRegistry([tool('zeta'), tool('alpha')]);
  const first = registry.list();
  assert.deepEqual(first.map((t) => t.name), ['alpha', 'zeta']);
  assert.equal(registry.list(), first, 'no change: the same array');

  registry.add(tool('mid'));
  const added = registry.list();
  assert.deepEqual(added.map((t) => t.name), ['alpha', 'mid', 'zeta']);
  assert.deepEqual(first.map((t) => t.name), ['alpha', 'zeta'], 'an earlier answer is not changed in place');

  registry.add(tool('mid', 'replaced'));
  assert.equal(registry.list().find((t) => t.name === 'mid')?.description, 'replaced');

  registry.remove('alpha');
  assert.deepEqual(registry.list().map((t) => t.name), ['mid', 'zeta']);
});
