import { CovenantError } from '../core/index.js';
import type { ToolDefinition, ToolOutput } from './tool.js';

export const DEFAULT_TOOL_TIMEOUT_MS = 30_000;

/** Every tool callers can reach, by advertised name. */
export class ToolRegistry {
  private readonly tools = new Map<string, ToolDefinition>();

  constructor(tools: ToolDefinition[] = []) {
    for (const tool of tools) this.add(tool);
  }

  add(tool: ToolDefinition): void {
    this.tools.set(tool.name, tool);
  }

  has(name: string): boolean {
    return this.tools.has(name);
  }

  remove(name: string): void {
    this.tools.delete(name);
  }

  list(): ToolDefinition[] {
    return [...this.tools.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  get(name: string): ToolDefinition {
    const tool = this.tools.get(name);
    if (!tool) throw new CovenantError('E_NOT_FOUND', `no tool named ${name}; list them with \`covenant tools list\``);
    return tool;
  }

  /** Validates arguments against the tool's schema, then calls it with a timeout. */
  async call(name: string, args: Record<string, unknown>): Promise<ToolOutput> {
    const tool = this.get(name);
    const problem = tool.validate(args);
    if (problem !== null) throw new CovenantError('E_BAD_REQUEST', `invalid arguments for ${name}: ${problem}`);
    const timeoutMs = tool.timeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS;
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        // Aborting cancels the request on an MCP server (notifications/cancelled).
        const error = new CovenantError('E_TOOL_TIMEOUT', `tool ${name} did not answer within ${timeoutMs} ms; the call was cancelled`);
        controller.abort(error);
        reject(error);
      }, timeoutMs);
    });
    try {
      return await Promise.race([tool.call(args, controller.signal), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
