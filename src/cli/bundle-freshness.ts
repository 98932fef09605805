import { readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Beside the bundle, the dist/ modules it was made from, relative to its directory (a JSON array
 * written by scripts/bundle-cli.mjs, which names the file the same way).
 */
export function bundleInputsFile(bundle: string): string {
  return `${bundle}.inputs.json`;
}

/**
 * Whether the bundle runs the code dist/ holds now: every module it was made from still exists
 * and is no newer than the bundle. `tsc` alone rewrites them (`tsc --watch` the changed ones), so
 * a bundle not made again after it is stale. Equal times are current: `npm pack` gives every file
 * the same time. Plain path strings, no URLs: this runs at every start of the CLI.
 */
export function bundleIsCurrent(bundle: string): boolean {
  try {
    const built = statSync(bundle).mtimeMs;
    const inputs = JSON.parse(readFileSync(bundleInputsFile(bundle), 'utf8')) as unknown;
    const dir = `${dirname(bundle)}/`;
    return Array.isArray(inputs) && inputs.length > 0 && inputs.every((input) => typeof input === 'string' && statSync(dir + input).mtimeMs <= built);
  } catch {
    return false;
  }
}
