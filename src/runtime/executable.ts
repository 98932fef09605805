import { accessSync, constants, statSync } from 'node:fs';

/** A regular file this process may execute (following links). */
export function isExecutableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
