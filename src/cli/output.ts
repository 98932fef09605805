import { CovenantError } from '../core/errors.js';
import { redact } from '../core/redact.js';
import { DaemonRefusal } from '../ipc/index.js';

export interface GlobalFlags {
  home?: string;
  tokenFile?: string;
  /** The command's own `--json` (commands that add progress on a terminal must not with it). */
  json?: boolean;
}

export interface CommandOutcome {
  /** The JSON object printed with --json. */
  json: { kind: string; [field: string]: unknown };
  /** Lines printed without --json. */
  human: string | string[];
  /** 0 unless the outcome is itself a refusal (an invalid audit chain, an ignored intent). */
  exitCode?: number;
  /**
   * An answer that is a refusal with its own code: without --json it is printed like every
   * failure (`covenant: <message> (<code>)` on stderr, then `human` there too) and exits 1.
   */
  refused?: { code: string; message: string };
}

/** An error answer from the daemon, or a client-side failure, with its stable code. */
export class CliFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function toFailure(error: unknown): CliFailure {
  if (error instanceof CliFailure) return error;
  if (error instanceof CovenantError || error instanceof DaemonRefusal) return new CliFailure(error.code, error.message);
  return new CliFailure('E_INTERNAL', error instanceof Error ? error.message : String(error));
}

/** Prints an outcome or a failure and sets the exit code: 0 ok, 1 refused or failed. */
export async function present(json: boolean | undefined, produce: () => Promise<CommandOutcome>): Promise<void> {
  try {
    const outcome = await produce();
    if (json) process.stdout.write(`${JSON.stringify(outcome.json)}\n`);
    else if (outcome.refused) {
      const lines = Array.isArray(outcome.human) ? outcome.human : [outcome.human];
      process.stderr.write([`covenant: ${redact(outcome.refused.message)} (${outcome.refused.code})`, ...lines].map((l) => `${l}\n`).join(''));
      process.exitCode = 1;
      return;
    } else {
      const lines = Array.isArray(outcome.human) ? outcome.human : [outcome.human];
      if (lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`);
    }
    process.exitCode = outcome.refused ? 1 : (outcome.exitCode ?? 0);
  } catch (error) {
    const failure = toFailure(error);
    // A failure may quote a path or an argument that holds a token: print at most 6 characters of it.
    const message = redact(failure.message);
    if (json) {
      process.stdout.write(`${JSON.stringify({ kind: 'error', code: failure.code, message })}\n`);
    } else {
      process.stderr.write(`covenant: ${message} (${failure.code})\n`);
    }
    process.exitCode = 1;
  }
}
