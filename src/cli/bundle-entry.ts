#!/usr/bin/env node
/**
 * The entry of dist/cli/covenant.cjs, the `covenant` bin (scripts/bundle-cli.mjs makes it after
 * tsc). The hot commands run from that one CommonJS file because on Node 20 every ES module
 * costs about as much to load as a small command's work (docs/performance.md, "CLI start-up");
 * every other command loads commander and its group from dist/ as ES modules, as before.
 * A bundle older than the dist/ modules it was made from would run older code than dist/
 * (`tsc` run alone): then the ES module entry runs instead.
 */
import { bundleIsCurrent } from './bundle-freshness.js';

if (bundleIsCurrent(import.meta.filename)) void import('./run.js').then(({ runCli }) => runCli(process.argv));
else void import(new URL('./main.js', import.meta.url).href);
