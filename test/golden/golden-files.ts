import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/binaries.js';

export const GOLDEN = join(REPO_ROOT, 'test', 'golden');

/**
 * The golden files of a folder, by name without `.json`. A name is a kind, or `<kind>.<variant>`
 * for a second example of one kind (memory_read.recent: the answer of memory_recent).
 */
export function goldenFiles(folder: 'requests' | 'responses'): string[] {
  return readdirSync(join(GOLDEN, folder))
    .filter((name) => name.endsWith('.json'))
    .map((name) => name.slice(0, -'.json'.length));
}

export function kindOfGoldenFile(name: string): string {
  return name.split('.')[0]!;
}

export function loadGolden(folder: 'requests' | 'responses', name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(GOLDEN, folder, `${name}.json`), 'utf8')) as Record<string, unknown>;
}
