// Writes the route list of docs/http-gateway.md from the request table (`npm run docs:http`).
// `--check` only says whether the doc is current (exit 1 when stale).
import { readFileSync, writeFileSync } from 'node:fs';
import { withRoutesSection } from '../src/gateway/index.js';

const DOC = new URL('../docs/http-gateway.md', import.meta.url);
const current = readFileSync(DOC, 'utf8');
const wanted = withRoutesSection(current);
if (process.argv.includes('--check')) {
  if (current !== wanted) {
    process.stderr.write('docs/http-gateway.md is stale: run `npm run docs:http`\n');
    process.exitCode = 1;
  }
} else if (current !== wanted) {
  writeFileSync(DOC, wanted);
  process.stdout.write('docs/http-gateway.md: route list updated\n');
}
