import { Option, type Command } from 'commander';
import { action, jsonCommand } from '../action.js';
import { base58Prefix, wholeNumber, withPurgeCutoff, type PurgeFlags } from '../parsers.js';

const load = () => import('../commands/peers.js');

export interface ListFlags {
  limit: number;
  prefix?: string;
  liveOnly?: boolean;
  revokedOnly?: boolean;
}

export interface RevokeFlags {
  force?: boolean;
  byPubkey?: boolean;
  limitMatches: number;
}

export function registerPeerCommands(program: Command): void {
  const peers = program.command('peers').description('peer tokens: add, list, rotate, revoke, purge');
  jsonCommand(peers, 'add', 'register a new peer with its own identity; prints its token once')
    .argument('<name>', 'lowercase name; the peer is shown as <name>@peer')
    .action(action(async (flags, name: string) => (await load()).addCommand(flags, name)));
  jsonCommand(peers, 'list', 'peers, newest first (operator or peers.list)')
    .option('-n, --limit <n>', 'how many', wholeNumber(1, 1000), 20)
    .option('--prefix <b58>', 'only pubkeys starting with this', base58Prefix)
    .addOption(new Option('--live-only', 'only live tokens').conflicts('revokedOnly'))
    .addOption(new Option('--revoked-only', 'only revoked tokens'))
    .action(action(async (flags, options: ListFlags) => (await load()).listCommand(flags, options)));
  jsonCommand(peers, 'rotate', 'mint a new operator token, then revoke the old one; prints it once').action(
    action(async (flags) => (await load()).rotateCommand(flags)),
  );
  jsonCommand(peers, 'revoke', 'revoke a token (the whole token, its prefix, or --by-pubkey a pubkey prefix); its connections close at once')
    .argument('<token-or-prefix>', 'the whole token, or its first characters (see `covenant peers list`); with --by-pubkey a pubkey prefix', base58Prefix)
    .option('--by-pubkey', "match the argument against the peer's pubkey (its identity) instead of its token")
    .option('--force', 'allow revoking the token you are using (the operator recovers with `covenantd --recover-operator`)')
    .option('--limit-matches <n>', 'how many matches to list when the prefix is ambiguous', wholeNumber(1, 100), 10)
    .action(action(async (flags, prefix: string, options: RevokeFlags) => (await load()).revokeCommand(flags, prefix, options)));
  withPurgeCutoff(jsonCommand(peers, 'purge', 'remove revoked peers (needs peers.purge)')).action(
    action(async (flags, options: PurgeFlags) => (await load()).purgeCommand(flags, options)),
  );
}
