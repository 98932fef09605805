import { renameSync, statSync } from 'node:fs';
import pino, { type Logger } from 'pino';
import { formatLogLine } from '../core/index.js';
import { LogFile } from './log-file.js';

export type { Logger };

const ROTATE_AT_BYTES = 10 * 1024 * 1024;
const KEEP_FILES = 5;
export const ROTATION_CHECK_MS = 60_000;

export interface DaemonLogger {
  log: Logger;
  close(): void;
}

let stderrGuarded = false;

/**
 * pino to `logs/covenantd.log` (JSON lines) and stderr (human lines when `humanStderr`). The file is rotated by size (covenantd.log.1 ..
 * .5) and reopened after the rename. Neither a full disk nor a closed stderr ends the daemon:
 * lines that cannot be written are dropped (docs/operations.md, "Disk full").
 */
export function createDaemonLogger(logFile: string, options: { stderr?: boolean; level?: string; humanStderr?: boolean } = {}): DaemonLogger {
  const stderr = options.stderr !== false;
  const file = new LogFile(logFile, (error) => {
    if (stderr) {
      const code = (error as NodeJS.ErrnoException | null)?.code ?? 'error';
      process.stderr.write(`covenantd: cannot write ${logFile} (${code}); log lines are dropped until it can be written again\n`);
    }
  });
  // The size is checked within ROTATION_CHECK_MS of a line written, never while nothing is logged:
  // an idle daemon runs no timer for its log.
  let check: NodeJS.Timeout | null = null;
  const checkSoon = () => {
    if (check !== null) return;
    check = setTimeout(() => {
      check = null;
      rotateIfLarge(logFile, () => file.reopen());
    }, ROTATION_CHECK_MS);
    check.unref();
  };
  const streams: pino.StreamEntry[] = [
    {
      stream: {
        write: (line: string) => {
          file.write(line);
          checkSoon();
        },
      },
    },
  ];
  if (stderr) {
    if (!stderrGuarded) {
      stderrGuarded = true;
      process.stderr.on('error', () => undefined); // EPIPE or ENOSPC on stderr: the file still has the log
    }
    // A terminal gets human lines (docs/operations.md); a pipe or a journal gets the JSON lines.
    streams.push({ stream: options.humanStderr ? { write: (line: string) => process.stderr.write(formatLogLine(line)) } : process.stderr });
  }
  const log = pino(
    {
      level: options.level ?? process.env.COVENANT_LOG_LEVEL ?? 'info',
      base: { name: 'covenantd' },
      redact: { paths: ['token', 'token_b58', '*.token', '*.token_b58', 'seed', 'authorization'], censor: '[redacted]' },
    },
    pino.multistream(streams),
  );
  rotateIfLarge(logFile, () => file.reopen());
  return {
    log,
    close() {
      if (check !== null) clearTimeout(check);
      file.close();
    },
  };
}

function rotateIfLarge(path: string, reopen: () => void): void {
  try {
    if (statSync(path).size < ROTATE_AT_BYTES) return;
    for (let index = KEEP_FILES - 1; index >= 1; index -= 1) {
      try {
        renameSync(`${path}.${index}`, `${path}.${index + 1}`);
      } catch {
        // that generation does not exist yet
      }
    }
    renameSync(path, `${path}.1`);
    reopen();
  } catch {
    // no log file yet, or the rename failed: try again at the next check
  }
}
