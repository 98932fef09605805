import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

function readPackageVersion(): string {
  for (const candidate of ['../../package.json']) {
    try {
      return (require(candidate) as { version: string }).version;
    } catch {
      // try the next layout (src/ under tsx, dist/ when compiled)
    }
  }
  return '0.0.0';
}

export const COVENANT_VERSION = readPackageVersion();
