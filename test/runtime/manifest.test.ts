import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile, symlink, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CovenantError } from '../../src/core/index.js';
import { loadAgentPackage, parseManifest, runRequestFor } from '../../src/runtime/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(here, '..', '..');

const scratch = await mkdtemp(path.join(tmpdir(), 'covenant-manifest-test-'));
after(async () => {
  await rm(scratch, { recursive: true, force: true });
});

const MINIMAL = `
[agent]
id = "demo-agent"
name = "Demo"
version = "1.2.3"
runtime = "node"
entry = "main.js"
`;

/** Replaces `key = ...` inside MINIMAL or appends text. */
function withAgent(field: string, value: string | null): string {
  const re = new RegExp(`^${field} = .*$`, 'm');
  return value === null ? MINIMAL.replace(re, '') : MINIMAL.replace(re, `${field} = ${value}`);
}

function parseError(text: string): CovenantError {
  try {
    parseManifest(text, 'agent.toml');
  } catch (err) {
    assert.ok(err instanceof CovenantError, `expected CovenantError, got ${String(err)}`);
    assert.equal(err.code, 'E_BAD_REQUEST');
    return err;
  }
  assert.fail('manifest was accepted');
}

let n = 0;
async function makePackage(manifest: string, files: Record<string, string> = { 'main.js': '' }): Promise<string> {
  const dir = path.join(scratch, `pkg-${++n}`);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'agent.toml'), manifest);
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), content);
  }
  return dir;
}

async function loadError(dir: string): Promise<CovenantError> {
  try {
    await loadAgentPackage(dir);
  } catch (err) {
    assert.ok(err instanceof CovenantError, `expected CovenantError, got ${String(err)}`);
    assert.equal(err.code, 'E_BAD_REQUEST');
    return err;
  }
  assert.fail('package was accepted');
}

describe('parseManifest', () => {
  it('applies the documented defaults to a minimal manifest', () => {
    const m = parseManifest(MINIMAL, 'agent.toml');
    assert.deepEqual(m, {
      agent: { id: 'demo-agent', name: 'Demo', version: '1.2.3', runtime: 'node', entry: 'main.js', host_calls: false, env: [] },
      capabilities: { required: [], optional: [] },
      resources: { cpu_ms_per_task: 30000, memory_mb: 512, network: 'off', warm: true },
      sandbox: { required: false, run_as_daemon_user: false },
      settlement: { budget_credits_per_hour: 0, priority: 'normal' },
      router: {},
    });
  });

  it('accepts declared variables, linux-bwrap and the trusted-local opt-in to the daemon user', () => {
    const bwrap = parseManifest(`${MINIMAL.replace('[agent]', '[agent]\nenv = ["AGENT_MODE", "LC_ALL"]')}[sandbox]\nrequired = true\nbackend = "linux-bwrap"\n`, 'agent.toml');
    assert.deepEqual(bwrap.agent.env, ['AGENT_MODE', 'LC_ALL']);
    assert.deepEqual(bwrap.sandbox, { required: true, backend: 'linux-bwrap', run_as_daemon_user: false });
    const local = parseManifest(`${MINIMAL}[sandbox]\nbackend = "trusted-local"\nrun_as_daemon_user = true\n`, 'agent.toml');
    assert.deepEqual(local.sandbox, { required: false, backend: 'trusted-local', run_as_daemon_user: true });
  });

  it('accepts a full manifest', () => {
    const m = parseManifest(
      `${MINIMAL.replace('entry = "main.js"', 'entry = "bin/agent.py"\ndescription = "does things"')}
[capabilities]
required = ["memory.read", "tool.call.search"]
optional = ["memory.repair.*"]
[resources]
cpu_ms_per_task = 1000
memory_mb = 64
network = "outbound-https-only"
warm = false
[sandbox]
required = true
backend = "linux-gvisor"
[settlement]
budget_credits_per_hour = 120
priority = "high"
[router]
keywords = ["demo", "test"]
`,
      'agent.toml',
    );
    assert.equal(m.agent.entry, 'bin/agent.py');
    assert.equal(m.agent.description, 'does things');
    assert.deepEqual(m.capabilities.required, ['memory.read', 'tool.call.search']);
    assert.deepEqual(m.resources, { cpu_ms_per_task: 1000, memory_mb: 64, network: 'outbound-https-only', warm: false });
    assert.deepEqual(m.sandbox, { required: true, backend: 'linux-gvisor', run_as_daemon_user: false });
    assert.deepEqual(m.settlement, { budget_credits_per_hour: 120, priority: 'high' });
    assert.deepEqual(m.router.keywords, ['demo', 'test']);
  });

  const cases: Array<[string, string, RegExp]> = [
    ['negative memory', `${MINIMAL}[resources]\nmemory_mb = -5\n`, /^agent\.toml: resources\.memory_mb: expected a positive integer/],
    ['string memory', `${MINIMAL}[resources]\nmemory_mb = "lots"\n`, /agent\.toml: resources\.memory_mb: expected a positive integer/],
    ['fractional cpu', `${MINIMAL}[resources]\ncpu_ms_per_task = 1.5\n`, /agent\.toml: resources\.cpu_ms_per_task: expected a positive integer/],
    ['bad network', `${MINIMAL}[resources]\nnetwork = "lan"\n`, /agent\.toml: resources\.network: expected one of "off", "outbound-https-only", "full"/],
    ['bad warm', `${MINIMAL}[resources]\nwarm = "yes"\n`, /agent\.toml: resources\.warm: expected true or false/],
    ['bad id', withAgent('id', '"Demo_Agent"'), /agent\.toml: agent\.id: expected lowercase letters/],
    ['id too long', withAgent('id', `"a${'b'.repeat(63)}"`), /agent\.toml: agent\.id:/],
    ['missing id', withAgent('id', null), /agent\.toml: agent\.id: is required/],
    ['bad runtime', withAgent('runtime', '"ruby"'), /agent\.toml: agent\.runtime: expected one of "node", "python3", "bin"/],
    ['missing entry', withAgent('entry', null), /agent\.toml: agent\.entry: is required/],
    ['absolute entry', withAgent('entry', '"/usr/bin/node"'), /agent\.toml: agent\.entry: must be a relative path/],
    ['dotdot entry', withAgent('entry', '"lib/../../x.js"'), /agent\.toml: agent\.entry: must not contain "\.\."/],
    ['bad version', withAgent('version', '"latest"'), /agent\.toml: agent\.version: expected a version/],
    ['empty name', withAgent('name', '"  "'), /agent\.toml: agent\.name: must not be empty/],
    ['missing agent section', '[resources]\nmemory_mb = 1\n', /agent\.toml: agent: missing required section/],
    ['bad action', `${MINIMAL}[capabilities]\nrequired = ["memory.read", "nodots"]\n`, /agent\.toml: capabilities\.required\[1\]: expected a dotted action/],
    ['actions not a list', `${MINIMAL}[capabilities]\noptional = "memory.read"\n`, /agent\.toml: capabilities\.optional: expected an array/],
    ['bad budget', `${MINIMAL}[settlement]\nbudget_credits_per_hour = -1\n`, /agent\.toml: settlement\.budget_credits_per_hour: expected a non-negative integer/],
    ['bad priority', `${MINIMAL}[settlement]\npriority = "urgent"\n`, /agent\.toml: settlement\.priority: expected one of "low", "normal", "high"/],
    ['bad backend', `${MINIMAL}[sandbox]\nbackend = "docker"\n`, /agent\.toml: sandbox\.backend: expected one of "trusted-local", "linux-bwrap", "linux-gvisor"/],
    ['required sandbox on trusted-local', `${MINIMAL}[sandbox]\nrequired = true\nbackend = "trusted-local"\n`, /agent\.toml: sandbox\.backend: "trusted-local" is not a sandbox/],
    ['a COVENANT_* variable in agent.env', MINIMAL.replace('[agent]', '[agent]\nenv = ["COVENANT_HOME"]'), /agent\.toml: agent\.env\[0\]: "COVENANT_HOME": COVENANT_\*, loader/],
    ['a secret-shaped variable in agent.env', MINIMAL.replace('[agent]', '[agent]\nenv = ["MY_API_TOKEN"]'), /agent\.toml: agent\.env\[0\]: "MY_API_TOKEN": secret-shaped/],
    ['a loader variable in agent.env', MINIMAL.replace('[agent]', '[agent]\nenv = ["OK_NAME", "LD_PRELOAD"]'), /agent\.toml: agent\.env\[1\]: "LD_PRELOAD": COVENANT_\*, loader/],
    ['a lower-case name in agent.env', MINIMAL.replace('[agent]', '[agent]\nenv = ["path"]'), /agent\.toml: agent\.env\[0\]: "path": expected an upper-case variable name/],
    ['agent.env not a list', MINIMAL.replace('[agent]', '[agent]\nenv = "MODE"'), /agent\.toml: agent\.env: expected an array of variable names/],
    ['run_as_daemon_user not a boolean', `${MINIMAL}[sandbox]\nrun_as_daemon_user = "yes"\n`, /agent\.toml: sandbox\.run_as_daemon_user: expected true or false/],
    ['run_as_daemon_user on bwrap', `${MINIMAL}[sandbox]\nbackend = "linux-bwrap"\nrun_as_daemon_user = true\n`, /agent\.toml: sandbox\.run_as_daemon_user: only applies to the "trusted-local" backend/],
    ['run_as_daemon_user with a required sandbox', `${MINIMAL}[sandbox]\nrequired = true\nrun_as_daemon_user = true\n`, /agent\.toml: sandbox\.run_as_daemon_user: only applies/],
    ['bad keywords', `${MINIMAL}[router]\nkeywords = ["ok", 3]\n`, /agent\.toml: router\.keywords\[1\]: expected a string/],
    ['unknown key', `${MINIMAL}[resources]\ngpu = true\n`, /agent\.toml: resources\.gpu: unknown key/],
    ['unknown agent key', MINIMAL.replace('[agent]', '[agent]\nauthor = "me"'), /agent\.toml: agent\.author: unknown key/],
    ['unknown section', `${MINIMAL}[extras]\nx = 1\n`, /agent\.toml: extras: unknown key/],
  ];
  for (const [name, text, pattern] of cases) {
    it(`rejects ${name} with a message naming the field`, () => {
      assert.match(parseError(text).message, pattern);
    });
  }

  it('reports every problem, one per field', () => {
    const err = parseError(`${withAgent('id', '"9lives"')}[resources]\nmemory_mb = 0\nfoo = 1\n`);
    assert.match(err.message, /agent\.id:/);
    assert.match(err.message, /resources\.memory_mb:/);
    assert.match(err.message, /resources\.foo: unknown key/);
  });

  it('names line and column for TOML syntax errors', () => {
    const err = parseError('[agent]\nid = "x"\nname = \n');
    assert.match(err.message, /^agent\.toml: line 3, column \d+: invalid TOML/);
    const dup = parseError('[agent]\nid = "x"\nid = "y"\n');
    assert.match(dup.message, /^agent\.toml: line \d+, column \d+: invalid TOML/);
  });

  it('uses the source path it is given', () => {
    try {
      parseManifest('[agent]\n', '/some/where/agent.toml');
      assert.fail('accepted');
    } catch (err) {
      assert.match((err as Error).message, /^\/some\/where\/agent\.toml: agent\.id: is required/);
    }
  });
});

describe('loadAgentPackage', () => {
  it('loads the shipped reference agents', async () => {
    for (const id of ['hello', 'research']) {
      const pkg = await loadAgentPackage(path.join(REPO, 'agents', id));
      assert.equal(pkg.manifest.agent.id, id);
      assert.equal(pkg.manifest.agent.runtime, 'node');
      assert.ok(pkg.manifest.agent.description, 'has a description');
      assert.ok((pkg.manifest.router.keywords ?? []).length > 0, 'has router keywords');
      assert.equal(pkg.dir, path.join(REPO, 'agents', id));
    }
  });

  it('returns the resolved directory and builds a run request from the manifest', async () => {
    const dir = await makePackage(`${MINIMAL}[resources]\ncpu_ms_per_task = 1234\nmemory_mb = 99\n`);
    const pkg = await loadAgentPackage(dir);
    const req = runRequestFor(pkg, { intent_id: 'i', text: 't' }, { env: { COVENANT_X: '1' } });
    assert.deepEqual(
      { ...req },
      { agentId: 'demo-agent', packageDir: dir, runtime: 'node', entry: 'main.js', intent: { intent_id: 'i', text: 't' }, timeoutMs: 1234, memoryMb: 99, env: { COVENANT_X: '1' } },
    );
  });

  it('accepts an entry in a subdirectory and a symlink that stays inside', async () => {
    const dir = await makePackage(withAgent('entry', '"bin/run.js"'), { 'lib/real.js': '' });
    await mkdir(path.join(dir, 'bin'));
    await symlink('../lib/real.js', path.join(dir, 'bin', 'run.js'));
    const pkg = await loadAgentPackage(dir);
    assert.equal(pkg.manifest.agent.entry, 'bin/run.js');
  });

  it('rejects a missing entry file', async () => {
    const dir = await makePackage(MINIMAL, {});
    const err = await loadError(dir);
    assert.match(err.message, /agent\.toml: agent\.entry: "main\.js" does not exist in the package/);
  });

  it('rejects an entry that escapes the directory', async () => {
    const dir = await makePackage(withAgent('entry', '"../outside.js"'));
    await writeFile(path.join(dir, '..', 'outside.js'), '');
    assert.match((await loadError(dir)).message, /agent\.entry: must not contain "\.\."/);
  });

  it('rejects an entry symlink that points outside the package', async () => {
    const outside = path.join(scratch, 'outside-target.js');
    await writeFile(outside, '');
    const dir = await makePackage(MINIMAL, {});
    await symlink(outside, path.join(dir, 'main.js'));
    assert.match((await loadError(dir)).message, /agent\.entry: "main\.js" resolves \(through a symlink\) outside the package/);
  });

  it('rejects an entry that is a directory, and a bin entry that is not executable', async () => {
    const dir = await makePackage(MINIMAL, {});
    await mkdir(path.join(dir, 'main.js'));
    assert.match((await loadError(dir)).message, /agent\.entry: "main\.js" is not a regular file/);

    const bin = await makePackage(withAgent('runtime', '"bin"').replace('main.js', 'run.sh'), { 'run.sh': '#!/bin/sh\n' });
    await chmod(path.join(bin, 'run.sh'), 0o644);
    assert.match((await loadError(bin)).message, /agent\.entry: "run\.sh" is not executable/);
    await chmod(path.join(bin, 'run.sh'), 0o755);
    assert.equal((await loadAgentPackage(bin)).manifest.agent.runtime, 'bin');
  });

  it('rejects a directory without agent.toml, and an invalid manifest naming the file', async () => {
    const empty = path.join(scratch, 'empty');
    await mkdir(empty);
    assert.match((await loadError(empty)).message, /missing agent\.toml/);
    assert.match((await loadError(path.join(scratch, 'does-not-exist'))).message, /not found/);
    const bad = await makePackage(`${MINIMAL}[resources]\nmemory_mb = 0\n`);
    assert.match((await loadError(bad)).message, new RegExp(`^${path.join(bad, 'agent.toml').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: resources\\.memory_mb: expected a positive integer`));
  });
});
