import { Option, type Command } from 'commander';
import { action, jsonCommand } from '../action.js';
import { duration, jsonObject, wholeNumber, withPurgeCutoff, type PurgeFlags } from '../parsers.js';

const load = () => import('../commands/capabilities.js');

export interface GrantFlags {
  to?: string;
  scope?: Record<string, unknown>;
  expiresAt?: number;
  expiresIn?: number;
  allowUnknownAction?: boolean;
}

export function registerCapabilityCommands(program: Command): void {
  const caps = program.command('capabilities').description('signed capability grants');
  jsonCommand(caps, 'grant', 'grant an action to yourself, or --to another peer (operator, or by delegation)')
    .argument('<action>', 'dotted action, e.g. memory.read or memory.repair.*')
    .option('--to <peer>', 'the subject: a display name or a pubkey prefix (default: yourself)')
    .option('--scope <json>', 'scope object, e.g. \'{"tier":"working","delegate":true}\'', jsonObject('the scope', '{"tier":"working"}'))
    .addOption(new Option('--expires-at <ms>', 'expiry as epoch ms').argParser(wholeNumber(1)).conflicts('expiresIn'))
    .addOption(new Option('--expires-in <duration>', 'expiry from now: 90s, 15m, 12h, 7d').argParser(duration))
    .option('--allow-unknown-action', "grant an action the daemon does not know yet (an agent you will install later)")
    .action(action(async (flags, act: string, options: GrantFlags) => (await load()).grantCommand(flags, act, options)));
  jsonCommand(caps, 'recent', 'capabilities you hold or granted, newest first')
    .option('-n, --limit <n>', 'how many', wholeNumber(1, 1000), 20)
    .action(action(async (flags, options: { limit: number }) => (await load()).recentCommand(flags, options.limit)));
  jsonCommand(caps, 'revoke', 'revoke a capability and everything delegated from it')
    .argument('<id-or-signature>', 'capability id (any unique prefix, as `capabilities recent` shows it) or signature')
    .action(action(async (flags, target: string) => (await load()).revokeCommand(flags, target)));
  withPurgeCutoff(jsonCommand(caps, 'purge', 'remove revoked or expired records (needs capabilities.purge)')).action(
    action(async (flags, options: PurgeFlags) => (await load()).purgeCommand(flags, options)),
  );
  jsonCommand(program, 'bootstrap', "re-grant the operator's default capability set (idempotent)").action(
    action(async (flags) => (await load()).bootstrapCommand(flags)),
  );
}
