import type { Command } from 'commander';
import { action, jsonCommand } from '../action.js';

export function registerIntentCommands(program: Command): void {
  jsonCommand(program, 'intent', 'submit an intent; the daemon routes it to an agent and answers')
    .argument('<text...>', 'what you want done')
    .option('--agent <id>', 'skip routing and send the intent to this agent')
    .action(
      action(async (flags, words: string[], options: { agent?: string }) =>
        (await import('../commands/intent.js')).intentCommand(flags, words, options),
      ),
    );
}
