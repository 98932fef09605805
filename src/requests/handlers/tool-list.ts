import type { ToolDefinition, ToolRegistry } from '../../mcp/index.js';
import { reusedReply } from '../reply-text.js';

type ToolView = Pick<ToolDefinition, 'name' | 'description' | 'inputSchema' | 'server'>;
type ToolListReply = { kind: 'tool_list'; tools: ToolView[] };

/** The last answer of each registry (a registry per daemon; tests run several in one process). */
const lastAnswer = new WeakMap<ToolRegistry, ToolListReply>();

/** Whether `tools` would be listed exactly as `views` list them (same tools, same order, same fields). */
function unchanged(views: readonly ToolView[], tools: readonly ToolDefinition[]): boolean {
  if (views.length !== tools.length) return false;
  for (let i = 0; i < tools.length; i += 1) {
    const view = views[i]!;
    const tool = tools[i]!;
    if (view.name !== tool.name || view.description !== tool.description || view.inputSchema !== tool.inputSchema || view.server !== tool.server) return false;
  }
  return true;
}

/**
 * The `tools_list` answer. Every caller gets the same list (it needs no grant), so while the
 * registry lists the same tools the previous answer is reused, and its JSON with it
 * (`reusedReply`); a tool added, removed or replaced makes a new one. An input schema is
 * compared by identity: a tool's schema is replaced, never edited in place.
 */
export function toolListReply(registry: ToolRegistry): ToolListReply {
  const tools = registry.list();
  const last = lastAnswer.get(registry);
  if (last !== undefined && unchanged(last.tools, tools)) return last;
  const reply = reusedReply<ToolListReply>({
    kind: 'tool_list',
    tools: tools.map((t) => ({ name: t.name, description: t.description, inputSchema: t.inputSchema, server: t.server })),
  });
  lastAnswer.set(registry, reply);
  return reply;
}
