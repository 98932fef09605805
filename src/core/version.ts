import { readFileSync } from 'node:fs';

function readPackageVersion(): string {
  try {
    // src/core and dist/core are both two levels below the package root.
    const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
    return (JSON.parse(text) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

export const COVENANT_VERSION = readPackageVersion();
