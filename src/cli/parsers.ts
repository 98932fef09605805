import { InvalidArgumentError, Option, type Command } from 'commander';
import { BASE58_PREFIX } from '../core/base58-pattern.js';

// Argument parsers shared by every command group; a bad value is a usage error (exit 2).

export function wholeNumber(min = 0, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole, non-negative number (digits only)');
    const parsed = Number(value);
    if (parsed < min || parsed > max) {
      throw new InvalidArgumentError(max === Number.MAX_SAFE_INTEGER ? `must be at least ${min}` : `must be between ${min} and ${max}`);
    }
    return parsed;
  };
}

export function base58Prefix(value: string): string {
  if (!BASE58_PREFIX.test(value)) {
    throw new InvalidArgumentError('expected base58 (1-64 characters, no 0, O, I or l)');
  }
  return value;
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90s`, `15m`, `12h`, `7d`, `500ms` → milliseconds. */
export function duration(value: string): number {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(value);
  if (!match) throw new InvalidArgumentError('expected a duration like 90s, 15m, 12h or 7d');
  const ms = Number(match[1]) * DURATION_UNITS[match[2]!]!;
  if (ms <= 0) throw new InvalidArgumentError('a duration must be positive');
  return ms;
}

/** A JSON object argument; `what` and `example` make the refusal specific to the option. */
export function jsonObject(what: string, example: string) {
  return (value: string): Record<string, unknown> => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new InvalidArgumentError(`not JSON: ${what} must be a JSON object, e.g. '${example}' (quoted for the shell)`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new InvalidArgumentError(`${what} must be a JSON object, not ${Array.isArray(parsed) ? 'an array' : String(parsed === null ? 'null' : typeof parsed)}, e.g. '${example}'`);
    }
    return parsed as Record<string, unknown>;
  };
}

export interface PurgeFlags {
  beforeMs?: number;
  olderThanMs?: number;
}

/** `--before-ms M | --older-than-ms D`, exactly one (checked before the request is sent). */
export function withPurgeCutoff(command: Command): Command {
  return command
    .addOption(new Option('--before-ms <ms>', 'purge what is older than this epoch time (ms)').argParser(wholeNumber()).conflicts('olderThanMs'))
    .addOption(new Option('--older-than-ms <ms>', 'purge what is older than now minus this many ms').argParser(wholeNumber()))
    .hook('preAction', (_parent, actionCommand) => {
      const flags = actionCommand.opts<PurgeFlags>();
      if (flags.beforeMs === undefined && flags.olderThanMs === undefined) {
        actionCommand.error('error: give --before-ms <ms> or --older-than-ms <ms>', { exitCode: 2, code: 'covenant.usage' });
      }
    });
}

export function purgeParams(flags: PurgeFlags): { before_ms?: number; older_than_ms?: number } {
  return flags.beforeMs !== undefined ? { before_ms: flags.beforeMs } : { older_than_ms: flags.olderThanMs };
}
