import type { z } from 'zod';

export type ToolContent = { type: 'text'; text: string } | { type: 'json'; value: unknown };

export interface ToolOutput {
  content: ToolContent[];
  is_error: boolean;
}

/** A tool the daemon can call: built in, or (later) advertised by an MCP server. */
export interface ToolDefinition {
  name: string;
  description: string;
  /** Where it comes from: `builtin` or the MCP server's name. */
  server: string;
  /** JSON Schema of the arguments, as advertised to callers. */
  inputSchema: Record<string, unknown>;
  /** Validates arguments; returns an error message naming the field, or null. */
  validate(args: unknown): string | null;
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
