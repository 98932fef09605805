import { readdirSync, readFileSync } from 'node:fs';
import { extname } from 'node:path';

/**
 * The console's static files: src/console/assets/, copied beside the compiled code by
 * `npm run build` (scripts/copy-console-assets.mjs). Plain HTML, CSS and ES modules: nothing to
 * bundle, nothing fetched from elsewhere.
 */
const ASSETS_DIR = new URL('./assets/', import.meta.url);

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export interface ConsoleAsset {
  body: Uint8Array;
  type: string;
}

let cache: Map<string, ConsoleAsset> | null = null;

/** Every asset, read once: the set of names is fixed at start-up, so no path ever reaches the disk. */
function assets(): Map<string, ConsoleAsset> {
  if (cache) return cache;
  const loaded = new Map<string, ConsoleAsset>();
  for (const name of readdirSync(ASSETS_DIR)) {
    const type = TYPES[extname(name)];
    if (type !== undefined) loaded.set(name, { body: readFileSync(new URL(name, ASSETS_DIR)), type });
  }
  cache = loaded;
  return loaded;
}

/** One asset by its file name (`index.html`, `console.js`, ...), or null. */
export function consoleAsset(name: string): ConsoleAsset | null {
  return assets().get(name) ?? null;
}
