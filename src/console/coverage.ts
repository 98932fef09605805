import { readFileSync } from 'node:fs';

/** live-coverage.json at the package root (beside src/ and dist/). */
const COVERAGE_FILE = new URL('../../live-coverage.json', import.meta.url);

/** The package's live coverage matrix as parsed JSON, or null when this install has none. */
export function readCoverageFile(): unknown {
  let text: string;
  try {
    text = readFileSync(COVERAGE_FILE, 'utf8');
  } catch {
    return null;
  }
  return JSON.parse(text) as unknown;
}
