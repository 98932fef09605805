import { z } from 'zod';
import type { Clock } from '../core/index.js';
import { zodValidator, type ToolDefinition } from './tool.js';

const EchoArgs = z.object({ text: z.string().max(1_000_000) }).strict();
const ClockArgs = z.object({}).strict();

export function builtinTools(clock: Clock): ToolDefinition[] {
  return [
    {
      name: 'echo',
      description: 'Answers with the text it is given.',
      server: 'builtin',
      inputSchema: z.toJSONSchema(EchoArgs),
      validate: zodValidator(EchoArgs),
      call: async (args) => ({ content: [{ type: 'text', text: String(args.text) }], is_error: false }),
    },
    {
      name: 'clock',
      description: "The daemon's current time as epoch milliseconds.",
      server: 'builtin',
      inputSchema: z.toJSONSchema(ClockArgs),
      validate: zodValidator(ClockArgs),
      call: async () => ({ content: [{ type: 'json', value: { epoch_ms: clock.now() } }], is_error: false }),
    },
  ];
}
