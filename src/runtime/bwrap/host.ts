/** Host facts the bwrap command line depends on: where bwrap is, how / is laid out, node. */
import { lstatSync, readlinkSync, realpathSync } from 'node:fs';
import path from 'node:path';
import type { BwrapHost, RootEntry } from './command.js';
import { isExecutableFile } from '../executable.js';

const ROOT_NAMES = ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32'] as const;
/** Looked at after PATH: where distributions install bwrap. */
const STANDARD_DIRS = ['/usr/bin', '/usr/local/bin', '/bin'];

/** The bwrap binary on PATH (absolute entries only) or in the standard directories; null when absent. */
export function locateBwrap(envPath: string | undefined = process.env.PATH, platform: NodeJS.Platform = process.platform): string | null {
  if (platform !== 'linux') return null;
  const dirs = [...(envPath ?? '').split(path.delimiter).filter((d) => d !== '' && path.isAbsolute(d)), ...STANDARD_DIRS];
  for (const dir of dirs) {
    const candidate = path.join(dir, 'bwrap');
    if (isExecutableFile(candidate)) return candidate;
  }
  return null;
}

/** /bin, /sbin, /lib* as the host has them: links (usr-merged) or directories. */
export function hostRootEntries(root = '/'): RootEntry[] {
  const entries: RootEntry[] = [];
  for (const name of ROOT_NAMES) {
    const full = path.join(root, name);
    try {
      const st = lstatSync(full);
      if (st.isSymbolicLink()) entries.push({ name, kind: 'symlink', target: readlinkSync(full) });
      else if (st.isDirectory()) entries.push({ name, kind: 'dir' });
    } catch {
      // absent on this host
    }
  }
  return entries;
}

export function detectBwrapHost(envPath: string | undefined = process.env.PATH): BwrapHost {
  return { bwrap: locateBwrap(envPath), rootEntries: hostRootEntries(), nodePath: realpathSync(process.execPath) };
}
