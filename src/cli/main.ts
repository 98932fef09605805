#!/usr/bin/env node
// The CLI as ES modules from dist/: what the `covenant` bin (dist/cli/covenant.cjs, see
// bundle-entry.ts) runs when it is older than dist/.
import { runCli } from './run.js';

await runCli(process.argv);
