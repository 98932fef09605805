import type { Command } from 'commander';
import { EMPTY_INTENT_MESSAGE, isBlankIntent } from '../../core/intent-text.js';
import { action, jsonCommand } from '../action.js';

export function registerIntentCommands(program: Command): void {
  jsonCommand(program, 'intent', 'submit an intent; the daemon routes it to an agent and answers')
    .argument('<text...>', 'what you want done')
    .option('--agent <id>', 'skip routing and send the intent to this agent')
    .hook('preAction', (command) => {
      if (isBlankIntent(command.args.join(' '))) command.error(`error: ${EMPTY_INTENT_MESSAGE}`, { exitCode: 2, code: 'covenant.usage' });
    })
    .action(
      action(async (flags, words: string[], options: { agent?: string }) =>
        (await import('../commands/intent.js')).intentCommand(flags, words, options),
      ),
    );
}
