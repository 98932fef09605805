import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  GVISOR_SANDBOX_PATH,
  buildGvisorSpec,
  removeGvisorBundle,
  writeGvisorBundle,
  type GvisorBundleOptions,
  type OciSpec,
} from '../../../src/runtime/gvisor/index.js';
import { CovenantError } from '../../../src/core/errors.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'covenant-gvisor-bundle-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const home = path.join(tmp, 'home');
const stateRoot = path.join(home, 'runtime', 'gvisor');
const packageDir = path.join(home, 'agents', 'hello');
const rootfs = path.join(tmp, 'rootfs');
fs.mkdirSync(packageDir, { recursive: true });
fs.mkdirSync(rootfs, { recursive: true });
fs.writeFileSync(path.join(packageDir, 'main.mjs'), '');

function options(overrides: Partial<GvisorBundleOptions> = {}): GvisorBundleOptions {
  return {
    stateRoot,
    rootfs,
    packageDir,
    runtime: 'node',
    entry: 'main.mjs',
    memoryMb: 256,
    ...overrides,
  };
}

async function writeAndRead(overrides: Partial<GvisorBundleOptions> = {}): Promise<{ dir: string; spec: OciSpec }> {
  const bundle = await writeGvisorBundle(options(overrides));
  const spec = JSON.parse(fs.readFileSync(path.join(bundle.dir, 'config.json'), 'utf8')) as OciSpec;
  return { dir: bundle.dir, spec };
}

test('the bundle is written to <stateRoot>/<run-id>/config.json, private to the daemon', async () => {
  const bundle = await writeGvisorBundle(options({ runId: 'run-1' }));
  assert.equal(bundle.dir, path.join(stateRoot, 'run-1'));
  assert.equal(bundle.configPath, path.join(stateRoot, 'run-1', 'config.json'));
  assert.equal(fs.statSync(bundle.dir).mode & 0o777, 0o700);
  assert.equal(fs.statSync(bundle.configPath).mode & 0o777, 0o600);
  assert.deepEqual(fs.readdirSync(bundle.dir), ['config.json']);
  await removeGvisorBundle(bundle.dir);
  assert.equal(fs.existsSync(bundle.dir), false);
});

test('the rootfs is mounted read-only as /', async () => {
  const { spec } = await writeAndRead();
  assert.deepEqual(spec.root, { path: rootfs, readonly: true });
});

test('the package is bind-mounted read-only at /workspace, which is the cwd', async () => {
  const { spec } = await writeAndRead();
  const workspace = spec.mounts.filter((m) => m.destination === '/workspace');
  assert.equal(workspace.length, 1);
  const [mount] = workspace;
  assert.equal(mount?.type, 'bind');
  assert.equal(mount?.source, packageDir);
  assert.ok(mount?.options?.includes('ro'), 'the /workspace bind is read-only');
  assert.ok(!mount?.options?.includes('rw'));
  assert.equal(spec.process.cwd, '/workspace');
});

test('/tmp is a size-limited tmpfs; the only host mount is the read-only /workspace', async () => {
  const { spec } = await writeAndRead({ scratchMb: 32 });
  const tmpMount = spec.mounts.find((m) => m.destination === '/tmp');
  assert.equal(tmpMount?.type, 'tmpfs');
  assert.ok(tmpMount?.options?.includes(`size=${32 * 1024 * 1024}`));
  // No other mount comes from the host except the read-only /workspace bind.
  const hostMounts = spec.mounts.filter((m) => m.type === 'bind');
  assert.deepEqual(
    hostMounts.map((m) => m.destination),
    ['/workspace'],
  );
  for (const m of spec.mounts) {
    assert.ok(['proc', 'tmpfs', 'bind'].includes(m.type), `unexpected mount type ${m.type}`);
  }
});

test('noNewPrivileges is set and the process holds no capabilities', async () => {
  const { spec } = await writeAndRead();
  assert.equal(spec.process.noNewPrivileges, true);
  for (const set of Object.values(spec.process.capabilities)) assert.deepEqual(set, []);
  assert.equal(spec.process.terminal, false);
});

test('the sandbox gets its own network namespace, with no path (no host interfaces)', async () => {
  const { spec } = await writeAndRead();
  const net = spec.linux.namespaces.filter((ns) => ns.type === 'network');
  assert.equal(net.length, 1);
  assert.equal(net[0]?.path, undefined, 'a network namespace path would join an existing (host) namespace');
  for (const type of ['pid', 'ipc', 'uts', 'mount']) {
    assert.ok(spec.linux.namespaces.some((ns) => ns.type === type && ns.path === undefined), `${type} namespace`);
  }
});

test('the memory limit comes from memoryMb', async () => {
  const { spec } = await writeAndRead({ memoryMb: 384 });
  assert.equal(spec.linux.resources.memory.limit, 384 * 1024 * 1024);
});

test('the environment is PATH only', async () => {
  const { spec } = await writeAndRead();
  assert.deepEqual(spec.process.env, [`PATH=${GVISOR_SANDBOX_PATH}`]);
});

test('explicitly passed env is added, but cannot replace the sandbox PATH', async () => {
  const { spec } = await writeAndRead({ env: { PATH: '/host/bin', COVENANT_AGENT_ID: 'hello', LANG: 'C.UTF-8' } });
  assert.deepEqual(spec.process.env, [`PATH=${GVISOR_SANDBOX_PATH}`, 'COVENANT_AGENT_ID=hello', 'LANG=C.UTF-8']);
});

test('the daemon environment never leaks into the bundle', async () => {
  process.env.COVENANT_TEST_SECRET_LEAK = 'do-not-copy';
  try {
    const { dir } = await writeAndRead();
    const text = fs.readFileSync(path.join(dir, 'config.json'), 'utf8');
    assert.ok(!text.includes('do-not-copy'));
  } finally {
    delete process.env.COVENANT_TEST_SECRET_LEAK;
  }
});

test('process args by runtime: node runs /usr/bin/node <entry>, bin runs the entry', async () => {
  assert.deepEqual(buildGvisorSpec(options()).process.args, ['/usr/bin/node', '/workspace/main.mjs']);
  assert.deepEqual(buildGvisorSpec(options({ entry: './lib/../main.mjs' })).process.args, ['/usr/bin/node', '/workspace/main.mjs']);
  assert.deepEqual(buildGvisorSpec(options({ runtime: 'bin', entry: 'bin/agent' })).process.args, ['/workspace/bin/agent']);
  assert.deepEqual(buildGvisorSpec(options({ runtime: 'python3', entry: 'agent.py' })).process.args, [
    '/usr/bin/python3',
    '/workspace/agent.py',
  ]);
});

test('an entry that escapes the package is refused and nothing is written', async () => {
  for (const entry of ['../outside.mjs', '/etc/passwd', 'a/../../b', '']) {
    const runId = `bad-${Buffer.from(entry).toString('hex') || 'empty'}`;
    await assert.rejects(writeGvisorBundle(options({ entry, runId })), (err: unknown) => {
      assert.ok(err instanceof CovenantError);
      assert.equal(err.code, 'E_BAD_REQUEST');
      return true;
    });
    assert.equal(fs.existsSync(path.join(stateRoot, runId)), false);
  }
});

test('invalid run ids and a non-positive memory limit are refused', async () => {
  await assert.rejects(writeGvisorBundle(options({ runId: '../evil' })), CovenantError);
  await assert.rejects(writeGvisorBundle(options({ runId: 'state' })), CovenantError);
  await assert.rejects(writeGvisorBundle(options({ memoryMb: 0 })), CovenantError);
});

test('a run id that already has a bundle is refused (no overwrite)', async () => {
  await writeGvisorBundle(options({ runId: 'dup' }));
  await assert.rejects(writeGvisorBundle(options({ runId: 'dup' })), (err: unknown) => {
    assert.ok(err instanceof CovenantError);
    assert.equal(err.code, 'E_CONFLICT');
    return true;
  });
});

test('the sandbox user defaults to the package owner, and the agent id is annotated', async () => {
  const st = fs.statSync(packageDir);
  const { spec } = await writeAndRead({ annotations: { agent_id: 'hello' } });
  assert.deepEqual(spec.process.user, { uid: st.uid, gid: st.gid });
  assert.equal(spec.annotations?.['dev.covenant.agent_id'], 'hello');
  const custom = buildGvisorSpec(options({ user: { uid: 65534, gid: 65534 } }));
  assert.deepEqual(custom.process.user, { uid: 65534, gid: 65534 });
});
