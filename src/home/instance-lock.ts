import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, readdirSync, readFileSync, readlinkSync, unlinkSync, writeSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { CovenantError } from '../core/index.js';
import { writePrivateFile } from './permissions.js';
import { homeWriteError } from './writable.js';

export interface InstanceLock {
  release(): void;
  /** The pid in a covenantd.pid left by a daemon that is no longer running (killed), taken over now. */
  takenOverFrom: number | null;
}

export interface LockPaths {
  home: string;
  /** `covenantd.pid`: information for the operator only, never the lock itself. */
  lock: string;
  /** `covenantd.lock`: the random name of the lock, created once per home. */
  lockName: string;
}

/** A covenantd of this process holds these homes (one bind per process is enough, this names the case). */
const heldHere = new Set<string>();

/**
 * One daemon per home. On Linux the lock is an abstract Unix socket bound under a name derived
 * from a random value stored in the home: a bind is atomic, the kernel releases it when the
 * holder dies however it dies, and pid reuse cannot fool it. Other platforms fall back to an
 * exclusively created pid file (docs/operations.md, "The single-instance lock").
 */
export async function acquireInstanceLock(paths: LockPaths): Promise<InstanceLock> {
  if (heldHere.has(paths.lockName)) {
    throw new CovenantError('E_ALREADY_RUNNING', `a covenantd in this process is already serving ${paths.home}; stop it first`);
  }
  const lock = process.platform === 'linux' ? await acquireAbstractLock(paths) : acquirePidFileLock(paths);
  heldHere.add(paths.lockName);
  return {
    takenOverFrom: lock.takenOverFrom,
    release() {
      heldHere.delete(paths.lockName);
      lock.release();
    },
  };
}

/** The abstract socket name of a home's lock (Linux). */
function lockSocketName(paths: LockPaths): string {
  return `\0covenantd-${createHash('sha256').update(`covenantd-lock\0${lockSecret(paths)}`).digest('hex').slice(0, 48)}`;
}

async function acquireAbstractLock(paths: LockPaths): Promise<InstanceLock> {
  const name = lockSocketName(paths);
  const server = await bindAbstract(name);
  if (server === null) throw alreadyRunning(paths, holderOf(name, paths));
  // We hold the lock: a pid file naming another process is what a killed daemon left.
  const stale = pidInFile(paths.lock);
  writePidFile(paths.lock);
  return {
    takenOverFrom: stale !== null && stale !== process.pid ? stale : null,
    release() {
      removePidFile(paths.lock);
      server.close();
    },
  };
}

function bindAbstract(name: string): Promise<Server | null> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => socket.destroy());
    server.once('error', (error: NodeJS.ErrnoException) => (error.code === 'EADDRINUSE' ? resolve(null) : reject(error)));
    server.listen({ path: name, exclusive: true }, () => {
      server.unref(); // the lock never keeps the daemon alive by itself
      resolve(server);
    });
  });
}

/** 32 random bytes in hex, created atomically (link(2) never replaces) the first time. */
function lockSecret(paths: LockPaths): string {
  let value = readSecret(paths.lockName);
  if (value === null) {
    const temporary = `${paths.lockName}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      const fd = openSync(temporary, 'wx', 0o600);
      try {
        writeSync(fd, `${randomBytes(32).toString('hex')}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      try {
        linkSync(temporary, paths.lockName);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error; // a concurrent start won: use its value
      }
    } catch (error) {
      throw homeWriteError(error, paths.home) ?? error;
    } finally {
      try {
        unlinkSync(temporary);
      } catch {
        // never created
      }
    }
    value = readSecret(paths.lockName);
  }
  if (value === null || !/^[0-9a-f]{64}$/.test(value)) {
    throw new CovenantError(
      'E_HOME_UNSAFE',
      `${paths.lockName} is damaged; make sure no covenantd runs on ${paths.home}, delete that file and start covenantd again`,
    );
  }
  return value;
}

function readSecret(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

function pidInFile(path: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** Information only: a failure to write it (full or read-only disk) does not stop the daemon. */
function writePidFile(path: string): void {
  try {
    writePrivateFile(path, `${process.pid}\n`);
  } catch {
    // the daemon serves without it
  }
}

function removePidFile(path: string): void {
  try {
    if (readFileSync(path, 'utf8').trim() === String(process.pid)) unlinkSync(path);
  } catch {
    // already gone
  }
}

/** The pid in covenantd.pid, if that process really holds the lock socket (checked through /proc). */
function holderOf(name: string, paths: LockPaths): number | null {
  try {
    const pid = Number.parseInt(readFileSync(paths.lock, 'utf8').trim(), 10);
    if (!Number.isInteger(pid) || pid <= 0) return null;
    // "Num RefCount Protocol Flags Type St Inode Path"; Node pads an abstract name with NULs,
    // which /proc shows as '@'.
    const wanted = `@${name.slice(1)}`;
    const inode = readFileSync('/proc/net/unix', 'utf8')
      .split('\n')
      .map((entry) => entry.trim().split(/\s+/))
      .find((fields) => fields[7]?.replace(/@+$/, '') === wanted)?.[6];
    if (inode === undefined) return null;
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`) === `socket:[${inode}]`) return pid;
    }
  } catch {
    // no pid file, or the process is gone or not ours to inspect
  }
  return null;
}

function alreadyRunning(paths: LockPaths, pid: number | null): CovenantError {
  return new CovenantError(
    'E_ALREADY_RUNNING',
    pid === null
      ? `another covenantd is serving or starting on ${paths.home}; stop it first or use another --home`
      : `another covenantd (pid ${pid}) is already serving ${paths.home}; stop it first (kill ${pid}) or use another --home`,
  );
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Non-Linux fallback: an exclusively created pid file; a file whose pid is not alive is taken over. */
function acquirePidFileLock(paths: LockPaths): InstanceLock {
  let takenOverFrom: number | null = null;
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const fd = openSync(paths.lock, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return { takenOverFrom, release: () => removePidFile(paths.lock) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw homeWriteError(error, paths.home) ?? error;
      const holder = Number.parseInt(readFileSync(paths.lock, 'utf8').trim(), 10);
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && processIsAlive(holder)) throw alreadyRunning(paths, holder);
      takenOverFrom = Number.isInteger(holder) && holder > 0 ? holder : null;
      unlinkSync(paths.lock);
    }
  }
  throw new CovenantError('E_ALREADY_RUNNING', `could not take the instance lock ${paths.lock}; is another covenantd starting?`);
}
