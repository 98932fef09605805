import { closeSync, openSync, rmSync, statfsSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { CovenantError } from '../core/index.js';

/** Space held back while the disk has room, and given up when it fills (docs/operations.md, "Disk full"). */
export const RESERVE_BYTES = 2 * 1024 * 1024;

/**
 * A file of RESERVE_BYTES under the home, kept while the disk has room. When a write finds the
 * disk full the daemon gives the file up and goes read-only: requests that change state are
 * refused E_STORAGE_FULL before they run, and the freed space carries the audit rows of the reads
 * (each one's capability check) and of the refusals, so every refusal is still audited. Writes
 * are served again once the disk has room for the reserve and as much again.
 */
export class StorageReserve {
  private readOnly = false;

  constructor(private readonly path: string) {}

  /**
   * Keeps the reserve in place. A missing one is made only when the disk has room for it and as
   * much again; otherwise the daemon stays read-only (a restart on a disk that is still full).
   */
  ensure(): void {
    if (this.reserveSize() === RESERVE_BYTES) return;
    if (this.freeBytes() < 2 * RESERVE_BYTES) {
      this.readOnly = true;
      return;
    }
    try {
      const fd = openSync(this.path, 'w', 0o600);
      try {
        const chunk = Buffer.alloc(64 * 1024);
        for (let written = 0; written < RESERVE_BYTES; written += chunk.length) writeSync(fd, chunk);
      } finally {
        closeSync(fd);
      }
    } catch {
      rmSync(this.path, { force: true });
      this.readOnly = true;
    }
  }

  /** A write found the disk full: give up the reserve and refuse writes from now on. */
  release(): void {
    this.readOnly = true;
    rmSync(this.path, { force: true });
  }

  /** Refuses a request that changes state while the disk is full; lifts the refusal once there is room again. */
  admitWrite(): void {
    if (!this.readOnly) return;
    this.readOnly = false;
    this.ensure();
    if (this.readOnly) throw storageFull();
  }

  private reserveSize(): number {
    try {
      return statSync(this.path).size;
    } catch {
      return 0;
    }
  }

  private freeBytes(): number {
    try {
      const stats = statfsSync(dirname(this.path));
      return stats.bavail * stats.bsize;
    } catch {
      return 0;
    }
  }
}

export function storageFull(): CovenantError {
  return new CovenantError(
    'E_STORAGE_FULL',
    'the disk holding $COVENANT_HOME is full, so this request could not be recorded and was not acknowledged; free space there (old logs/covenantd.log.N can go), then retry; reads keep working meanwhile',
  );
}
