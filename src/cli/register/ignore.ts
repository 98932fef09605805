import type { Command } from 'commander';
import { action, jsonCommand } from '../action.js';

const load = () => import('../commands/ignore.js');

export function registerIgnoreCommands(program: Command): void {
  const ignore = program.command('ignore').description('the .covenantignore policy gate');
  jsonCommand(ignore, 'check', 'would the dispatch gate refuse this text? (exit 1 when ignored)')
    .argument('<text...>', 'the intent text to check')
    .option('--agent <id>', "also apply this installed agent package's .covenantignore")
    .addHelpText(
      'after',
      `
Rules live in $COVENANT_HOME/.covenantignore (gitignore syntax; re-read when it changes) and in an
installed agent's own .covenantignore, which can only add rules: an agent rule that tries to
un-ignore a home rule is refused and listed under refused_overrides.
`,
    )
    .action(action(async (flags, words: string[], options: { agent?: string }) => (await load()).ignoreCheckCommand(flags, words, options)));
}
