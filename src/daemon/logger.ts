import { renameSync, statSync } from 'node:fs';
import pino, { type Logger } from 'pino';

export type { Logger };

const ROTATE_AT_BYTES = 10 * 1024 * 1024;
const KEEP_FILES = 5;
const ROTATION_CHECK_MS = 60_000;

export interface DaemonLogger {
  log: Logger;
  close(): void;
}

/**
 * pino to `logs/covenantd.log` and stderr. The file is rotated by size (covenantd.log.1 ..
 * .5); pino's destination reopens the path after the rename.
 */
export function createDaemonLogger(logFile: string, options: { stderr?: boolean; level?: string } = {}): DaemonLogger {
  const file = pino.destination({ dest: logFile, mkdir: true, sync: true, mode: 0o600 });
  const streams: pino.StreamEntry[] = [{ stream: file }];
  if (options.stderr !== false) streams.push({ stream: process.stderr });
  const log = pino(
    {
      level: options.level ?? process.env.COVENANT_LOG_LEVEL ?? 'info',
      base: { name: 'covenantd' },
      redact: { paths: ['token', 'token_b58', '*.token', '*.token_b58', 'seed', 'authorization'], censor: '[redacted]' },
    },
    pino.multistream(streams),
  );
  const timer = setInterval(() => rotateIfLarge(logFile, () => file.reopen()), ROTATION_CHECK_MS);
  timer.unref();
  rotateIfLarge(logFile, () => file.reopen());
  return {
    log,
    close() {
      clearInterval(timer);
      file.flushSync?.();
    },
  };
}

function rotateIfLarge(path: string, reopen: () => void): void {
  let size = 0;
  try {
    size = statSync(path).size;
  } catch {
    return;
  }
  if (size < ROTATE_AT_BYTES) return;
  for (let index = KEEP_FILES - 1; index >= 1; index -= 1) {
    try {
      renameSync(`${path}.${index}`, `${path}.${index + 1}`);
    } catch {
      // that generation does not exist yet
    }
  }
  renameSync(path, `${path}.1`);
  reopen();
}
