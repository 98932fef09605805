import { InvalidArgumentError, type Command } from 'commander';
import { action, jsonCommand } from '../action.js';

/** A strict whole-number option parser: digits only (no sign, no `12abc`, no `1e3`), within [min, max]. */
function wholeNumber(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole, non-negative number (digits only)');
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(max === Number.MAX_SAFE_INTEGER ? `must be at least ${min}` : `must be between ${min} and ${max}`);
    }
    return n;
  };
}

function collect(value: string, previous: string[]): string[] {
  if (value.length === 0 || value.length > 64) throw new InvalidArgumentError('a kind is 1-64 characters, e.g. intent_echoed');
  return [...previous, value];
}

function base58Prefix(value: string): string {
  if (!/^[1-9A-HJ-NP-Za-km-z]{1,64}$/.test(value)) {
    throw new InvalidArgumentError('expected a base58 pubkey or pubkey prefix (1-64 characters of the base58 alphabet)');
  }
  return value;
}

export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('the tamper-evident audit log');
  jsonCommand(audit, 'verify', 're-derive the hash chain and check signed checkpoints (exit 1 when invalid)').action(
    action(async (flags) => (await import('../commands/audit.js')).auditVerifyCommand(flags)),
  );
  jsonCommand(audit, 'checkpoint', 'sign a checkpoint of the newest audit row now').action(
    action(async (flags) => (await import('../commands/audit.js')).auditCheckpointCommand(flags)),
  );

  const recent = action(async (flags, options: import('../commands/audit.js').AuditRecentOptions) =>
    (await import('../commands/audit.js')).auditRecentCommand(flags, options),
  );
  jsonCommand(audit, 'recent', 'recent audit rows: yours, or every row for the operator (needs audit.read)')
    .option('-n, --limit <n>', 'how many rows, newest ones (1-1000, default 50)', wholeNumber(1, 1000))
    .option('--since-ms <ms>', 'only rows written at or after this epoch-ms time', wholeNumber(0))
    .option('--kind <kind>', 'only rows of this kind (repeatable: --kind a --kind b)', collect, [])
    .option('--issuer <pubkey>', 'only rows issued by this pubkey or pubkey prefix (base58)', base58Prefix)
    .option('--follow', 'after the existing rows, print new rows as they are written until Ctrl-C (cannot be combined with --json)')
    .addHelpText(
      'after',
      `
Without --json: one JSON line per event, oldest to newest. With --json: one audit_recent object.
--follow polls every 500 ms and prints each new row as a JSON line; Ctrl-C (or SIGTERM) ends it
with exit 0. If covenantd restarts it reconnects (waiting up to 10 s) and carries on after the last
row printed. It does not print your own capability_check rows for audit.read (each poll writes one).
--follow with --json is a usage error (exit 2).
`,
    )
    .action(async (...args: unknown[]) => {
      const command = args.at(-1) as Command;
      const options = command.opts<{ follow?: boolean; json?: boolean }>();
      if (options.follow && options.json) {
        command.error('error: --follow prints one JSON line per event and cannot be combined with --json', { exitCode: 2 });
      }
      await recent(...args);
    });

  const purge = action(async (flags, options: import('../commands/audit.js').AuditPurgeOptions) =>
    (await import('../commands/audit.js')).auditPurgeCommand(flags, options),
  );
  jsonCommand(audit, 'purge', 'delete the oldest audit rows behind a signed checkpoint (needs audit.purge)')
    .option('--before-ms <ms>', 'purge rows written before this epoch-ms time', wholeNumber(0))
    .option('--older-than-ms <ms>', 'purge rows older than this many milliseconds (cutoff = now - ms)', wholeNumber(0))
    .addHelpText(
      'after',
      `
Give exactly one of --before-ms or --older-than-ms. Only a contiguous run of the oldest rows is
purged: it stops at the first row that is not older than the cutoff. The cut is recorded in a
signed checkpoint and an audit_purged row, so \`covenant audit verify\` still passes afterwards.
`,
    )
    .action(async (...args: unknown[]) => {
      const command = args.at(-1) as Command;
      const options = command.opts<{ beforeMs?: number; olderThanMs?: number }>();
      if ((options.beforeMs === undefined) === (options.olderThanMs === undefined)) {
        command.error('error: give exactly one of --before-ms <ms> or --older-than-ms <ms>', { exitCode: 2 });
      }
      await purge(...args);
    });
}
