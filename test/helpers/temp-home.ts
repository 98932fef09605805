import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(prefix = 'covenant-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A path for a not-yet-created COVENANT_HOME inside a temporary directory. */
export function tempHome(): { home: string; cleanup: () => void } {
  const { dir, cleanup } = tempDir();
  return { home: join(dir, 'home'), cleanup };
}
