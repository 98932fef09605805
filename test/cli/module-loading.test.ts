/**
 * Issue 15 item 1: the hot commands (`version`, `ping`, `intent`) start about as fast as node
 * because the `covenant` bin runs them from one CommonJS file (scripts/bundle-cli.mjs) that holds
 * neither commander nor zod, and no command loads another group's modules. Asserted on what the
 * compiled CLI actually loads (a module loader hook and the CommonJS cache record every file),
 * never on timings.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { bundleCli } from '../../scripts/bundle-cli.mjs';
import { bundleInputsFile, bundleIsCurrent } from '../../src/cli/bundle-freshness.js';
import { hotCommand } from '../../src/cli/hot-commands.js';
import { CLI_BIN, REPO_ROOT, spawnDaemon } from '../helpers/binaries.js';
import { tempDir } from '../helpers/temp-home.js';

const ESM_ENTRY = join(REPO_ROOT, 'dist', 'cli', 'main.js');

/**
 * Runs a compiled CLI entry with a loader hook appending every loaded ES module's URL to a file,
 * and every CommonJS file (the bundle, anything it would require) at exit.
 */
function runRecordingLoads(dir: string, args: string[], env: NodeJS.ProcessEnv, entry = CLI_BIN): { code: number | null; stdout: string; loaded: string[] } {
  const log = join(dir, 'loaded.txt');
  rmSync(log, { force: true });
  const hooks = join(dir, 'hooks.mjs');
  writeFileSync(
    hooks,
    `import { appendFileSync } from 'node:fs';\nexport async function load(url, context, next) { appendFileSync(${JSON.stringify(log)}, url + '\\n'); return next(url, context); }\n`,
  );
  const register = join(dir, 'register.mjs');
  writeFileSync(
    register,
    [
      `import { appendFileSync } from 'node:fs';`,
      `import { createRequire, register } from 'node:module';`,
      `import { pathToFileURL } from 'node:url';`,
      `register(${JSON.stringify(pathToFileURL(hooks).href)});`,
      `const cache = createRequire(import.meta.url).cache;`,
      `process.on('exit', () => appendFileSync(${JSON.stringify(log)}, Object.keys(cache).map((path) => pathToFileURL(path).href + '\\n').join('')));`,
      '',
    ].join('\n'),
  );
  const result = spawnSync(process.execPath, ['--import', register, entry, ...args], { env, encoding: 'utf8', timeout: 60_000 });
  const urls = readFileSync(log, 'utf8').split('\n').filter((url) => url.startsWith('file:') && !url.startsWith(pathToFileURL(dir).href));
  return { code: result.status, stdout: result.stdout, loaded: [...new Set(urls)] };
}

const under = (loaded: string[], fragment: string) => loaded.filter((url) => url.includes(fragment));
const distModules = (loaded: string[]) => under(loaded, '/dist/').map((url) => url.slice(url.lastIndexOf('/dist/') + '/dist/'.length)).sort();

/** What every hot command loads as ES modules: its parser, the output code and the socket client. */
const HOT_SHARED = [
  'cli/run.js',
  'cli/hot-commands.js',
  'core/intent-text.js',
  'cli/output.js',
  'core/errors.js',
  'core/redact.js',
  'ipc/index.js',
  'ipc/framing.js',
  'ipc/client.js',
  'protocol/constants.js',
  'cli/session.js',
  'home/layout.js',
];
const HOT_RUNS: Array<{ args: string[]; kind: string; own: string[] }> = [
  { args: ['version', '--json'], kind: 'version', own: ['cli/commands/version.js', 'core/version.js'] },
  { args: ['ping', '--json'], kind: 'daemon_ping', own: ['cli/commands/ping.js'] },
  { args: ['intent', 'hello', 'there', '--json'], kind: 'intent_result', own: ['cli/commands/intent.js', 'cli/progress.js'] },
];
const PACKAGE_VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

function assertNoPackage(loaded: string[], what: string): void {
  assert.deepEqual(under(loaded, '/node_modules/'), [], `${what} loaded a package`);
  assert.deepEqual(under(loaded, '/node_modules/commander/'), [], `${what} loaded commander`);
  assert.deepEqual(under(loaded, '/node_modules/zod/'), [], `${what} loaded zod`);
}

test('the covenant bin runs version, ping and intent from its one CommonJS file, which holds their modules only: no package, no other command', async () => {
  // The bundle is made of exactly the hot path's modules: a new import on it (another command's
  // module, the request table, a package) must be a deliberate change of this list.
  const inputs = (JSON.parse(readFileSync(bundleInputsFile(CLI_BIN), 'utf8')) as string[]).map((path) => `cli/${path}`.replace(/^cli\/\.\.\//, ''));
  const expected = ['cli/bundle-entry.js', 'cli/bundle-freshness.js', ...HOT_SHARED, ...HOT_RUNS.flatMap((run) => run.own)];
  assert.deepEqual(inputs.sort(), expected.sort());

  const { dir, cleanup } = tempDir();
  const home = join(dir, 'home');
  const env: NodeJS.ProcessEnv = { ...process.env, COVENANT_HOME: home };
  delete env.COVENANT_TOKEN;
  const daemon = await spawnDaemon(home, env);
  try {
    for (const { args, kind, own } of HOT_RUNS) {
      const bundled = runRecordingLoads(dir, args, env);
      assert.equal(bundled.code, 0, `${args.join(' ')}: ${bundled.stdout}`);
      assert.equal((JSON.parse(bundled.stdout) as { kind: string }).kind, kind);
      assert.deepEqual(distModules(bundled.loaded), ['cli/covenant.cjs'], `${args[0]} loaded more than the bundle`);
      assertNoPackage(bundled.loaded, `${args[0]} (bundle)`);

      // The ES module entry (what a stale bundle runs): the same modules, each its own file.
      const esm = runRecordingLoads(dir, args, env, ESM_ENTRY);
      assert.equal(esm.code, 0, `${args.join(' ')}: ${esm.stdout}`);
      assert.equal((JSON.parse(esm.stdout) as { kind: string }).kind, kind);
      assert.deepEqual(distModules(esm.loaded), ['cli/main.js', ...HOT_SHARED, ...own].sort(), `${args[0]} loaded other modules`);
      assertNoPackage(esm.loaded, `${args[0]} (ES modules)`);
      assert.deepEqual(under(esm.loaded, '/dist/cli/register/'), [], `${args[0]} loaded command registrations`);
      assert.deepEqual(under(esm.loaded, '/dist/protocol/requests/'), [], `${args[0]} loaded the request table`);
    }
    // The bundle stands in for core/version.js's own URL when it finds package.json.
    const version = runRecordingLoads(dir, ['version', '--json'], env);
    assert.equal((JSON.parse(version.stdout) as { cli_version: string }).cli_version, PACKAGE_VERSION);
  } finally {
    assert.equal(await daemon.stop(), 0);
    cleanup();
  }
});

test('a bundle older than the dist/ modules it was made from runs the ES module entry instead', async () => {
  const { dir, cleanup } = tempDir();
  const env: NodeJS.ProcessEnv = { ...process.env, COVENANT_HOME: join(dir, 'home') };
  // A second bundle beside the bin's (the same relative paths into dist/), made by the build's own script.
  const { outfile } = await bundleCli({ outfile: join(REPO_ROOT, 'dist', 'cli', `covenant-staleness-test-${process.pid}.cjs`) });
  try {
    assert.equal(bundleIsCurrent(outfile), true);
    const fresh = runRecordingLoads(dir, ['version', '--json'], env, outfile);
    assert.equal(fresh.code, 0);
    assert.deepEqual(distModules(fresh.loaded), [`cli/covenant-staleness-test-${process.pid}.cjs`]);

    // As after `tsc` alone: dist/ newer than the bundle.
    const anHourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(outfile, anHourAgo, anHourAgo);
    assert.equal(bundleIsCurrent(outfile), false);
    const stale = runRecordingLoads(dir, ['version', '--json'], env, outfile);
    assert.equal(stale.code, 0, stale.stdout);
    assert.equal((JSON.parse(stale.stdout) as { kind: string; cli_version: string }).cli_version, PACKAGE_VERSION);
    assert.deepEqual(
      distModules(stale.loaded),
      [`cli/covenant-staleness-test-${process.pid}.cjs`, 'cli/main.js', ...HOT_SHARED, 'cli/commands/version.js', 'core/version.js'].sort(),
    );

    // Without its list of modules a bundle is never taken for current.
    utimesSync(outfile, new Date(), new Date());
    assert.equal(bundleIsCurrent(outfile), true);
    rmSync(bundleInputsFile(outfile));
    assert.equal(bundleIsCurrent(outfile), false);
  } finally {
    rmSync(outfile, { force: true });
    rmSync(bundleInputsFile(outfile), { force: true });
    cleanup();
  }
});

test("a commander command loads its own group's registration only, and no zod when it does not validate", () => {
  const { dir, cleanup } = tempDir();
  const env: NodeJS.ProcessEnv = { ...process.env, COVENANT_HOME: join(dir, 'home') };
  try {
    // No daemon: `status` fails to connect (exit 1), after loading everything it needs.
    const status = runRecordingLoads(dir, ['status', '--json'], env);
    assert.equal(status.code, 1);
    assert.equal((JSON.parse(status.stdout) as { code: string }).code, 'E_DAEMON_UNREACHABLE');
    assert.ok(under(status.loaded, '/node_modules/commander/').length > 0);
    assert.deepEqual(
      under(status.loaded, '/dist/cli/register/').map((url) => url.slice(url.lastIndexOf('/') + 1)),
      ['daemon.js'],
    );
    assert.deepEqual(under(status.loaded, '/node_modules/zod/'), []);

    // Help lists every group, so it loads every registration.
    const help = runRecordingLoads(dir, ['--help'], env);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^ {2}intent /m);
    assert.match(help.stdout, /^ {2}memory /m);
    assert.ok(under(help.loaded, '/dist/cli/register/').length > 5);
  } finally {
    cleanup();
  }
});

test('the hot-command parser takes only the plain shapes and leaves the rest to commander', () => {
  assert.deepEqual(hotCommand(['node', 'covenant', 'version']), { name: 'version', json: false, flags: {} });
  assert.deepEqual(hotCommand(['node', 'covenant', '--home', '/h', 'ping', '--json', '--token-file', 't']), {
    name: 'ping',
    json: true,
    flags: { home: '/h', tokenFile: 't' },
  });
  assert.deepEqual(hotCommand(['node', 'covenant', 'intent', 'say', '--agent', 'hello', 'hi']), {
    name: 'intent',
    json: false,
    flags: {},
    words: ['say', 'hi'],
    agent: 'hello',
  });
  for (const args of [
    [],
    ['status'],
    ['--json', 'version'],
    ['version', 'extra'],
    ['version', '--help'],
    ['ping', '--json', '--json'],
    ['intent'],
    ['intent', '--agent', 'a'],
    ['intent', 'x', '--agent', 'a', '--agent', 'b'],
    ['--agent', 'a', 'intent', 'x'],
    ['ping', '--agent', 'a'],
    ['intent', '--', '--x'],
    ['intent', '--agent=a', 'x'],
    ['ping', '--home'],
    ['ping', '--home', '--json'],
  ]) {
    assert.equal(hotCommand(['node', 'covenant', ...args]), null, args.join(' '));
  }
});
