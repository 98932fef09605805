#!/usr/bin/env node
// The main job, end to end on the embedded defaults: start covenantd on a home, install the
// reference research agent, import this project's docs/ into memory, ask a question they answer
// through the CLI, verify the audit chain, and stop the daemon. `--keep` leaves the daemon running.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const home = resolve(process.env.COVENANT_HOME ?? join(root, '.covenant-demo'));
const env = { ...process.env, COVENANT_HOME: home };
const keep = process.argv.includes('--keep');
// The `covenant` that `npm link` puts on the PATH: package.json's bin.
const cli = join(root, JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).bin.covenant);

function covenant(...args) {
  process.stdout.write(`$ covenant ${args.join(' ')}\n`);
  const result = spawnSync(process.execPath, [cli, ...args], { env, stdio: 'inherit', cwd: root });
  if (result.status !== 0) throw new Error(`covenant ${args.join(' ')} exited ${result.status}`);
}

async function waitForDaemon(daemon) {
  for (let i = 0; i < 200; i += 1) {
    if (daemon.exitCode !== null) throw new Error(`covenantd exited with ${daemon.exitCode}`);
    const probe = spawnSync(process.execPath, [cli, 'version', '--json'], { env, encoding: 'utf8' });
    if (probe.status === 0 && JSON.parse(probe.stdout).daemon) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('covenantd did not come up within 20 s');
}

process.stdout.write(`covenant demo: COVENANT_HOME=${home}\n`);
// The README's install ran `npm link`: show the commands answer by name from the PATH.
for (const name of ['covenant', 'covenantd']) {
  const onPath = spawnSync(name, ['--version'], { env, encoding: 'utf8' });
  process.stdout.write(onPath.status === 0 ? `$ ${name} --version\n${onPath.stdout}` : `(${name} is not on the PATH: run \`npm link\` after the build)\n`);
}
const daemon = spawn(process.execPath, [join(root, 'dist', 'daemon', 'main.js'), '--no-http'], {
  env: { ...env, COVENANT_LOG_LEVEL: 'warn' },
  stdio: ['ignore', 'inherit', 'inherit'],
  detached: keep,
});
let failed = false;
try {
  await waitForDaemon(daemon);
  covenant('version');
  if (existsSync(join(root, 'agents', 'research', 'agent.toml')) && spawnSync(process.execPath, [cli, '--help'], { env, encoding: 'utf8' }).stdout.includes('agents')) {
    covenant('agents', 'install', join(root, 'agents', 'research'));
    covenant('agents', 'list');
    // The research agent answers from the caller's memory (through a model when [model] is set).
    covenant('memory', 'import', 'docs');
    covenant('intent', 'research', 'what', 'does', 'the', 'hash', 'chain', 'of', 'the', 'audit', 'log', 'protect', 'against');
  } else {
    covenant('intent', 'hello', 'from', 'the', 'covenant', 'demo');
  }
  covenant('audit', 'verify');
} catch (error) {
  failed = true;
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
} finally {
  if (keep && !failed) {
    daemon.unref();
    process.stdout.write(`covenantd keeps running (pid ${daemon.pid}); stop it with: kill ${daemon.pid}\n`);
  } else {
    daemon.kill('SIGTERM');
    await new Promise((r) => daemon.once('exit', r));
  }
}
process.exit(failed ? 1 : 0);
