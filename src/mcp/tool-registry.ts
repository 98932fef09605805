import { CovenantError } from '../core/index.js';
import type { ToolDefinition, ToolOutput } from './tool.js';

export const DEFAULT_TOOL_TIMEOUT_MS = 30_000;

/** Every tool callers can reach, by advertised name. */
export class ToolRegistry {
  private readonly tools = new Map<string, ToolDefinition>();
  /** `list()`'s answer, made again after a change (sorting on every `GET /tools` was a microsecond of it). */
  private sorted: readonly ToolDefinition[] | null = null;

  constructor(tools: ToolDefinition[] = []) {
    for (const tool of tools) this.add(tool);
  }

  add(tool: ToolDefinition): void {
    this.tools.set(tool.name, tool);
    this.sorted = null;
  }

  has(name: string): boolean {
    return this.tools.has(name);
  }

  remove(name: string): void {
    this.tools.delete(name);
    this.sorted = null;
  }

  /** Every tool, sorted by name; the same array until the registry changes. */
  list(): readonly ToolDefinition[] {
    this.sorted ??= [...this.tools.values()].sort((a, b) => a.name.localeCompare(b.name));
    return this.sorted;
  }

  get(name: string): ToolDefinition {
    const tool = this.tools.get(name);
    if (!tool) throw new CovenantError('E_NOT_FOUND', `no tool named ${name}; list them with \`covenant tools list\``);
    return tool;
  }

  /**
   * Validates arguments against the tool's schema, then calls it with a timeout. `callerGone`
   * (the request's signal) ends the call early when the caller disconnects or the daemon stops.
   * Either way the tool's signal aborts, which cancels the request on an MCP server.
   */
  async call(name: string, args: Record<string, unknown>, callerGone?: AbortSignal): Promise<ToolOutput> {
    const tool = this.get(name);
    const problem = tool.validate(args);
    if (problem !== null) throw new CovenantError('E_BAD_REQUEST', `invalid arguments for ${name}: ${problem}`);
    const timeoutMs = tool.timeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS;
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    let onGone: (() => void) | undefined;
    const ended = new Promise<never>((_, reject) => {
      const end = (error: CovenantError) => {
        controller.abort(error);
        reject(error);
      };
      timer = setTimeout(() => end(new CovenantError('E_TOOL_TIMEOUT', `tool ${name} did not answer within ${timeoutMs} ms; the call was cancelled`)), timeoutMs);
      onGone = () => end(new CovenantError('E_SHUTTING_DOWN', `the call to ${name} was cancelled: its caller went away or covenantd is stopping`));
      if (callerGone?.aborted) onGone();
      else callerGone?.addEventListener('abort', onGone, { once: true });
    });
    try {
      return await Promise.race([tool.call(args, controller.signal), ended]);
    } finally {
      clearTimeout(timer);
      if (onGone) callerGone?.removeEventListener('abort', onGone);
    }
  }
}
