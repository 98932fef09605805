import type { Command } from 'commander';
import { action, jsonCommand } from '../action.js';
import { present, type GlobalFlags } from '../output.js';

const load = () => import('../commands/remotes.js');

export interface RemotesAddFlags {
  tokenFile?: string;
  cardPubkey?: string;
  json?: boolean;
}

export function registerRemoteCommands(program: Command): void {
  const remotes = program.command('remotes').description('remote daemons that <agent>@<remote> tasks are delivered to (operator only)');
  jsonCommand(remotes, 'add', "register a remote daemon: fetch its signed card and pin its key (trust on first use unless --card-pubkey)")
    .argument('<name>', 'lowercase name; its agents are addressed as <agent>@<name>')
    .argument('<gateway-url>', "the remote daemon's gateway, e.g. http://10.0.0.2:7420")
    .option('--token-file <file>', 'a file holding a token the remote minted with `covenant peers add` (stored 0600, never printed); required')
    .option('--card-pubkey <b58>', "the key the remote's card must be signed by (its operator tells you); default: the key it is signed by now")
    // Commander gives --token-file to the program's global option wherever it stands. `remotes` is
    // operator only, so here it always names the remote's token; the session is the operator's
    // (or COVENANT_TOKEN's).
    .action(async (name: string, url: string, options: RemotesAddFlags, command: Command) => {
      const globals = command.optsWithGlobals<GlobalFlags & RemotesAddFlags>();
      const flags: GlobalFlags = globals.home !== undefined ? { home: globals.home } : {};
      await present(options.json, async () => (await load()).remotesAddCommand(flags, name, url, { ...options, tokenFile: options.tokenFile ?? globals.tokenFile }));
    });
  jsonCommand(remotes, 'list', 'the registered remotes with their pinned card keys').action(action(async (flags) => (await load()).remotesListCommand(flags)));
  jsonCommand(remotes, 'check', "fetch each remote's card (or one's) and compare its key with the pin")
    .argument('[name]', 'only this remote')
    .action(action(async (flags, name: string | undefined) => (await load()).remotesCheckCommand(flags, name)));
  jsonCommand(remotes, 'remove', 'forget a remote and delete its token; its undelivered tasks fail')
    .argument('<name>', 'the remote')
    .action(action(async (flags, name: string) => (await load()).remotesRemoveCommand(flags, name)));
}
