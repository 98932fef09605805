import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { CovenantError } from '../core/index.js';

export interface InstanceLock {
  release(): void;
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One daemon per home: an exclusive pid file. A file left by a dead process (SIGKILL, power
 * loss) is taken over; one held by a live process refuses the start.
 */
const heldHere = new Set<string>();

export function acquireInstanceLock(lockPath: string, home: string): InstanceLock {
  if (heldHere.has(lockPath)) {
    throw new CovenantError('E_ALREADY_RUNNING', `a covenantd in this process is already serving ${home}; stop it first`);
  }
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const fd = openSync(lockPath, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      heldHere.add(lockPath);
      return {
        release() {
          heldHere.delete(lockPath);
          try {
            if (readFileSync(lockPath, 'utf8').trim() === String(process.pid)) unlinkSync(lockPath);
          } catch {
            // already gone
          }
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number.parseInt(readFileSync(lockPath, 'utf8').trim(), 10);
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && processIsAlive(holder)) {
        throw new CovenantError(
          'E_ALREADY_RUNNING',
          `another covenantd (pid ${holder}) is already serving ${home}; stop it first (kill ${holder}) or use another --home`,
        );
      }
      unlinkSync(lockPath);
    }
  }
  throw new CovenantError('E_ALREADY_RUNNING', `could not take the instance lock ${lockPath}; is another covenantd starting?`);
}
