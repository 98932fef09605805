/**
 * Issue 15 item 1: the hot commands (`version`, `ping`, `intent`) start about as fast as node
 * because they load neither commander nor zod, and no command loads another group's modules.
 * Asserted on what the compiled CLI actually loads (a module loader hook records every URL),
 * never on timings.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { hotCommand } from '../../src/cli/hot-commands.js';
import { CLI_BIN, spawnDaemon } from '../helpers/binaries.js';
import { tempDir } from '../helpers/temp-home.js';

/** Runs the compiled CLI with a loader hook appending every loaded module's URL to a file. */
function runRecordingLoads(dir: string, args: string[], env: NodeJS.ProcessEnv): { code: number | null; stdout: string; loaded: string[] } {
  const log = join(dir, 'loaded.txt');
  rmSync(log, { force: true });
  const hooks = join(dir, 'hooks.mjs');
  writeFileSync(
    hooks,
    `import { appendFileSync } from 'node:fs';\nexport async function load(url, context, next) { appendFileSync(${JSON.stringify(log)}, url + '\\n'); return next(url, context); }\n`,
  );
  const register = join(dir, 'register.mjs');
  writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
  const result = spawnSync(process.execPath, ['--import', register, CLI_BIN, ...args], { env, encoding: 'utf8', timeout: 60_000 });
  const loaded = readFileSync(log, 'utf8').split('\n').filter((url) => url.startsWith('file:') && !url.startsWith(pathToFileURL(dir).href));
  return { code: result.status, stdout: result.stdout, loaded };
}

const under = (loaded: string[], fragment: string) => loaded.filter((url) => url.includes(fragment));
const distModules = (loaded: string[]) => under(loaded, '/dist/').map((url) => url.slice(url.lastIndexOf('/dist/') + '/dist/'.length)).sort();

/** What every hot command loads: its parser, the output code and the socket client. */
const HOT_SHARED = [
  'cli/main.js',
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

test('version, ping and intent load exactly the socket client and their own modules: no package, no other command', async () => {
  const { dir, cleanup } = tempDir();
  const home = join(dir, 'home');
  const env: NodeJS.ProcessEnv = { ...process.env, COVENANT_HOME: home };
  delete env.COVENANT_TOKEN;
  const daemon = await spawnDaemon(home, env);
  try {
    const runs: Array<[string[], string, string[]]> = [
      [['version', '--json'], 'version', ['cli/commands/version.js', 'core/version.js']],
      [['ping', '--json'], 'daemon_ping', ['cli/commands/ping.js']],
      [['intent', 'hello', 'there', '--json'], 'intent_result', ['cli/commands/intent.js', 'cli/progress.js']],
    ];
    for (const [args, kind, own] of runs) {
      const run = runRecordingLoads(dir, args, env);
      assert.equal(run.code, 0, `${args.join(' ')}: ${run.stdout}`);
      assert.equal((JSON.parse(run.stdout) as { kind: string }).kind, kind);
      // Exactly the shared socket client and the command's own modules: a new import on this path
      // (another command's module, a heavier shared one) must be a deliberate change of this list.
      assert.deepEqual(distModules(run.loaded), [...HOT_SHARED, ...own].sort(), `${args[0]} loaded other modules`);
      assert.deepEqual(under(run.loaded, '/node_modules/'), [], `${args[0]} loaded a package`);
      assert.deepEqual(under(run.loaded, '/node_modules/commander/'), [], `${args[0]} loaded commander`);
      assert.deepEqual(under(run.loaded, '/node_modules/zod/'), [], `${args[0]} loaded zod`);
      assert.deepEqual(under(run.loaded, '/dist/cli/register/'), [], `${args[0]} loaded command registrations`);
      assert.deepEqual(under(run.loaded, '/dist/protocol/requests/'), [], `${args[0]} loaded the request table`);
    }
  } finally {
    assert.equal(await daemon.stop(), 0);
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
