import type { z } from 'zod';
import type { ToolContentSchema } from '../protocol/index.js';

/** A content item of a tool result: text, json (built-in tools), image, audio, resource, resource_link. */
export type ToolContent = z.infer<typeof ToolContentSchema>;

export interface ToolOutput {
  content: ToolContent[];
  /** MCP `structuredContent`, when the tool returned one. */
  structured_content?: Record<string, unknown>;
  is_error: boolean;
}

/** A tool the daemon can call: built in, or advertised by an MCP server. */
export interface ToolDefinition {
  name: string;
  description: string;
  /** Where it comes from: `builtin` or the MCP server's name. */
  server: string;
  /** JSON Schema of the arguments, as advertised to callers. */
  inputSchema: Record<string, unknown>;
  /** Per-call timeout (the server's call_timeout_ms); absent: the registry's default. */
  timeoutMs?: number;
  /** Validates arguments; returns an error message naming the field, or null. */
  validate(args: unknown): string | null;
  /** `signal` aborts (with the timeout error as reason) when the call runs out of time. */
  call(args: Record<string, unknown>, signal: AbortSignal): Promise<ToolOutput>;
}

export function zodValidator(schema: z.ZodType): (args: unknown) => string | null {
  return (args) => {
    const parsed = schema.safeParse(args);
    if (parsed.success) return null;
    return parsed.error.issues
      .slice(0, 3)
      .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
      .join('; ');
  };
}
