import { InvalidArgumentError, type Command } from 'commander';
import { action, jsonCommand } from '../action.js';
import { base58Prefix, wholeNumber, withPurgeCutoff, type PurgeFlags } from '../parsers.js';

const load = () => import('../commands/audit.js');

export interface RecentFlags {
  limit?: number;
  sinceMs?: number;
  kind: string[];
  issuer?: string;
  follow?: boolean;
  json?: boolean;
}

/** `--kind K` is repeatable: each one is added to the list. */
function collectKind(value: string, previous: string[]): string[] {
  if (value.length === 0 || value.length > 64) throw new InvalidArgumentError('a kind is 1-64 characters, e.g. intent_unrouted');
  return [...previous, value];
}

export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('the tamper-evident audit log');
  jsonCommand(audit, 'verify', 're-derive the hash chain and check signed checkpoints (exit 1 when invalid)').action(
    action(async (flags) => (await load()).auditVerifyCommand(flags)),
  );
  jsonCommand(audit, 'checkpoint', 'sign a checkpoint of the newest audit row now').action(
    action(async (flags) => (await load()).auditCheckpointCommand(flags)),
  );

  const recent = action(async (flags, options: RecentFlags) => (await load()).auditRecentCommand(flags, options));
  jsonCommand(audit, 'recent', 'recent audit rows: yours, or every row for the operator (needs audit.read)')
    .option('-n, --limit <n>', 'how many rows, the newest ones (1-1000, default 50)', wholeNumber(1, 1000))
    .option('--since-ms <ms>', 'only rows written at or after this epoch-ms time', wholeNumber())
    .option('--kind <kind>', 'only rows of this kind (repeatable: --kind a --kind b)', collectKind, [])
    .option('--issuer <pubkey>', 'only rows issued by this pubkey or pubkey prefix (base58)', base58Prefix)
    .option('--follow', 'after the existing rows, print new rows as they are written until Ctrl-C (cannot be combined with --json)')
    .addHelpText(
      'after',
      `
Without --json: one JSON line per event, oldest to newest. With --json: one audit_recent object.
--follow subscribes once (one audit.read check, one capability_check row, not printed) and the
daemon pushes each new row as it is written, printed as a JSON line; Ctrl-C (or SIGTERM) ends it
with exit 0. If covenantd restarts it reconnects (waiting up to 10 s) and carries on after the last
row printed; a revoked token ends it with exit 1. --follow with --json is a usage error (exit 2).
`,
    )
    .action(async (...args: unknown[]) => {
      const command = args.at(-1) as Command;
      const options = command.opts<RecentFlags>();
      if (options.follow && options.json) {
        command.error('error: --follow prints one JSON line per event and cannot be combined with --json', { exitCode: 2, code: 'covenant.usage' });
      }
      await recent(...args);
    });

  withPurgeCutoff(jsonCommand(audit, 'purge', 'delete the oldest audit rows behind a signed checkpoint (needs audit.purge)'))
    .addHelpText(
      'after',
      `
Give exactly one of --before-ms or --older-than-ms. Only a contiguous run of the oldest rows is
purged: it stops at the first row that is not older than the cutoff. The cut is recorded in a
signed checkpoint and an audit_purged row, so \`covenant audit verify\` still passes afterwards.
A log that already fails verification at or before the cut is not purged (the evidence is kept).
`,
    )
    .action(action(async (flags, options: PurgeFlags) => (await load()).auditPurgeCommand(flags, options)));
}
