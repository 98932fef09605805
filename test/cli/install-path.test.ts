/**
 * Issue 10 item 1: the README's install (`npm link`, after the build) puts `covenant` and
 * `covenantd` on the PATH, and what the tour, `doctor` and the systemd unit of
 * docs/operations.md run is what that install created. The link step runs for real, into a
 * temporary npm prefix (npm's own `prefix` setting), on a package that is this one's
 * package.json fields with `dist` linked to the build: nothing is written outside the temp dir
 * but the execute bits npm sets on the two built entry points.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync, readFileSync, realpathSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { test } from 'node:test';
import { COVENANT_VERSION } from '../../src/core/version.js';
import { REPO_ROOT } from '../helpers/binaries.js';
import { tempDir } from '../helpers/temp-home.js';

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { name: string; version: string; bin: Record<string, string> };
const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
const operations = readFileSync(join(REPO_ROOT, 'docs', 'operations.md'), 'utf8');

test('both commands are bin entries of the package, built with a node shebang', () => {
  assert.deepEqual(Object.keys(pkg.bin).sort(), ['covenant', 'covenantd']);
  for (const [name, file] of Object.entries(pkg.bin)) {
    // covenant.cjs is the bundle scripts/bundle-cli.mjs makes from the entry bundle-entry.ts.
    const source = file.replace(/^dist\//, 'src/').replace(/\.js$/, '.ts').replace(/\/covenant\.cjs$/, '/bundle-entry.ts');
    for (const path of [file, source]) {
      assert.equal(readFileSync(join(REPO_ROOT, path), 'utf8').split('\n')[0], '#!/usr/bin/env node', `${name}: ${path}`);
    }
  }
});

test("the README's install runs `npm link` after the build, and its tour starts with the linked commands", () => {
  assert.match(readme, /^npm ci && npm run build && npm link && npm run demo$/m);
  assert.match(readme, /`covenant --version` and `covenantd --version` work from any directory/);
  assert.match(readme, /^covenantd {2,}#/m);
});

test('npm link leaves covenant and covenantd executable on the PATH; doctor advises the command that is there', () => {
  const { dir, cleanup } = tempDir('covenant-link-');
  try {
    const checkout = join(dir, 'checkout');
    mkdirSync(checkout);
    writeFileSync(join(checkout, 'package.json'), JSON.stringify({ name: pkg.name, version: pkg.version, type: 'module', bin: pkg.bin }));
    symlinkSync(join(REPO_ROOT, 'dist'), join(checkout, 'dist'));
    const prefix = join(dir, 'prefix');
    const npmEnv = {
      ...process.env,
      npm_config_prefix: prefix,
      npm_config_cache: join(dir, 'npm-cache'),
      npm_config_offline: 'true',
      npm_config_audit: 'false',
      npm_config_fund: 'false',
      npm_config_update_notifier: 'false',
    };
    const link = spawnSync('npm', ['link'], { cwd: checkout, env: npmEnv, encoding: 'utf8', timeout: 120_000 });
    assert.equal(link.status, 0, link.stdout + link.stderr);

    const bin = join(prefix, 'bin');
    for (const [name, file] of Object.entries(pkg.bin)) {
      const installed = join(bin, name);
      assert.equal(realpathSync(installed), realpathSync(join(REPO_ROOT, file)), `${name} points at the build`);
      accessSync(installed, constants.X_OK);
      assert.ok((statSync(installed).mode & 0o111) !== 0, `${name} is executable`);
    }

    // Found by name on the PATH, as the tour, doctor and the systemd unit run them.
    const env = { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ''}`, COVENANT_HOME: join(dir, 'home') };
    for (const name of ['covenant', 'covenantd']) {
      const version = spawnSync(name, ['--version'], { env, encoding: 'utf8', timeout: 60_000 });
      assert.equal(version.status, 0, `${name} --version: ${version.stderr}`);
      assert.equal(version.stdout, `${COVENANT_VERSION}\n`);
    }
    const doctor = spawnSync('covenant', ['doctor', '--json'], { env, encoding: 'utf8', timeout: 60_000 });
    assert.equal(doctor.status, 1);
    const fix = String((JSON.parse(doctor.stdout) as { checks: Array<{ fix: string }> }).checks[0]!.fix);
    const advised = /start it with `([^`\s]+)/.exec(fix)?.[1];
    assert.equal(advised, 'covenantd');
    assert.equal(spawnSync(advised, ['--version'], { env, encoding: 'utf8', timeout: 60_000 }).status, 0);
  } finally {
    cleanup();
  }
});

test("the systemd unit's ExecStart finds covenantd where the documented install puts it", () => {
  const unit = /```ini\n# ~\/\.config\/systemd\/user\/covenantd\.service\n([\s\S]*?)```/.exec(operations)?.[1];
  assert.ok(unit, 'docs/operations.md has the unit');
  const setting = (key: string) => [...unit.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]!);
  assert.deepEqual(setting('ExecStart'), ['/usr/bin/env covenantd']);
  const path = setting('Environment').map((e) => /^PATH=(.*)$/.exec(e)?.[1]).find((p) => p !== undefined);
  assert.ok(path, 'the unit sets PATH for /usr/bin/env');
  const dirs = path.split(':').map((d) => d.replace(/^%h/, homedir()));
  // npm link puts the commands in $(npm prefix -g)/bin: this machine's default, and the two
  // prefixes the README and the unit's note name.
  const globalPrefix = spawnSync('npm', ['prefix', '-g'], { encoding: 'utf8', timeout: 60_000 }).stdout.trim();
  for (const expected of [join(globalPrefix, 'bin'), join(homedir(), '.local', 'bin'), '/usr/local/bin', '/usr/bin']) {
    assert.ok(dirs.includes(expected), `${expected} is on the unit's PATH (${path})`);
  }
  assert.ok(dirs.includes('/bin'), 'and the system directories');
});
