#!/usr/bin/env node
// `npm run build`, after tsc: bundles the CLI's hot path (dist/cli/bundle-entry.js and what it
// imports: the hot commands, their socket client and output code) into one CommonJS file,
// dist/cli/covenant.cjs, the `covenant` bin. Made from tsc's output, so it runs exactly what
// dist/ holds; beside it, the list of those modules (covenant.cjs.inputs.json), by which the
// bundle finds out at start that dist/ is newer than it (src/cli/bundle-freshness.ts).
// Commander's program (cli/program.js) stays an ES module loaded from dist/ when a cold command
// runs; the build fails if a package (zod, commander, ...) would end up in the bundle.
import { build } from 'esbuild';
import { chmodSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Loaded from dist/ when needed, never bundled. */
const LAZY_FROM_DIST = ['cli/program.js'];

/** Writes beside, then renames: a CLI starting meanwhile reads the old file or the new one. */
function writeAtomically(path, contents, mode) {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, contents, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}

/**
 * @param {{ dist?: string, outfile?: string }} [options]
 * @returns {Promise<{ outfile: string, inputs: string[] }>} inputs: relative to the bundle
 */
export async function bundleCli(options = {}) {
  const dist = resolve(options.dist ?? join(ROOT, 'dist'));
  const outfile = resolve(options.outfile ?? join(dist, 'cli', 'covenant.cjs'));
  const lazy = new Set(LAZY_FROM_DIST.map((path) => join(dist, path)));
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: [join(dist, 'cli', 'bundle-entry.js')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    write: false,
    outfile,
    metafile: true,
    logLevel: 'warning',
    // The bundle's own file stands for each module's: core/version.js finds package.json two
    // levels up, which holds for dist/cli/ as for dist/core/. Its URL is made only when asked for.
    define: { 'import.meta.url': '__covenantBundle.url', 'import.meta.filename': '__filename' },
    banner: { js: '"use strict";\nconst __covenantBundle = { get url() { return require("node:url").pathToFileURL(__filename).href; } };' },
    plugins: [
      {
        name: 'lazy-from-dist',
        setup(b) {
          b.onResolve({ filter: /^\.\.?\// }, (args) => {
            const target = resolve(args.resolveDir, args.path);
            if (!lazy.has(target)) return undefined;
            return { path: `./${relative(dirname(outfile), target).split(sep).join('/')}`, external: true };
          });
        },
      },
    ],
  });
  const inputs = Object.keys(result.metafile.inputs).map((path) => resolve(ROOT, path));
  const packages = inputs.filter((path) => path.split(sep).includes('node_modules') || !path.startsWith(dist + sep));
  if (packages.length > 0) throw new Error(`bundle-cli: the CLI's hot path must not include ${packages.join(', ')}`);
  const [output] = result.outputFiles;
  if (!output || result.outputFiles.length !== 1) throw new Error('bundle-cli: esbuild wrote no single output file');
  const relativeInputs = inputs.map((path) => relative(dirname(outfile), path).split(sep).join('/')).sort();
  // The list first: a bundle is never newer than a list of other modules.
  writeAtomically(`${outfile}.inputs.json`, `${JSON.stringify(relativeInputs, null, 1)}\n`, 0o644);
  writeAtomically(outfile, output.contents, 0o755);
  return { outfile, inputs: relativeInputs };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { outfile, inputs } = await bundleCli();
  console.log(`bundle-cli: ${relative(ROOT, outfile)} from ${inputs.length} modules of dist/`);
}
