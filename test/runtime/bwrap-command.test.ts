import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { bwrapArgs, bwrapCommand, BWRAP_PATH, type BwrapHost } from '../../src/runtime/bwrap/index.js';
import {
  createBwrapRunner,
  selectDefaultBackend,
  type SandboxLaunch,
} from '../../src/runtime/index.js';

const MERGED: BwrapHost = {
  bwrap: '/usr/bin/bwrap',
  rootEntries: [
    { name: 'bin', kind: 'symlink', target: 'usr/bin' },
    { name: 'lib', kind: 'symlink', target: 'usr/lib' },
    { name: 'lib64', kind: 'symlink', target: 'usr/lib64' },
  ],
  nodePath: '/usr/bin/node',
};

function launch(overrides: Partial<SandboxLaunch> = {}): SandboxLaunch {
  return {
    agentId: 'probe',
    packageDir: '/srv/covenant/agents/probe',
    entry: 'main.js',
    runtime: 'node',
    memoryMb: 64,
    profile: { network: 'off', envNames: [] },
    env: { PATH: '/root/bin:/usr/bin', HOME: '/root', LANG: 'C.UTF-8' },
    python3Command: 'python3',
    ...overrides,
  };
}

/** The value following each occurrence of a flag. */
function valuesOf(args: string[], flag: string, width = 1): string[][] {
  const out: string[][] = [];
  args.forEach((a, i) => {
    if (a === flag) out.push(args.slice(i + 1, i + 1 + width));
  });
  return out;
}

describe('linux-bwrap command line', () => {
  it('is the SPEC 13 line on a usr-merged host: every namespace, /usr read-only, package at /workspace, / read-only', () => {
    assert.deepEqual(bwrapArgs(launch(), MERGED), [
      '--unshare-all',
      '--unshare-user', '--uid', '65534', '--gid', '65534', '--cap-drop', 'ALL',
      '--die-with-parent', '--as-pid-1',
      '--ro-bind', '/usr', '/usr',
      '--symlink', 'usr/bin', '/bin',
      '--symlink', 'usr/lib', '/lib',
      '--symlink', 'usr/lib64', '/lib64',
      '--proc', '/proc', '--dev', '/dev',
      '--size', String(64 * 1024 * 1024), '--tmpfs', '/tmp',
      '--ro-bind', '/srv/covenant/agents/probe', '/workspace', '--chdir', '/workspace',
      '--remount-ro', '/dev', '--remount-ro', '/',
      '--clearenv',
      '--setenv', 'HOME', '/tmp',
      '--setenv', 'LANG', 'C.UTF-8',
      '--setenv', 'PATH', BWRAP_PATH,
      '--', '/usr/bin/node', '--max-old-space-size=64', '/workspace/main.js',
    ]);
  });

  it('never starts a new session (the runner kills the agent by its process group)', () => {
    assert.ok(!bwrapArgs(launch(), MERGED).includes('--new-session'));
  });

  it('binds no host path but /usr, the package and (with network) resolver files of /etc', () => {
    for (const network of ['off', 'full'] as const) {
      const args = bwrapArgs(launch({ profile: { network, envNames: [] } }), MERGED);
      const sources = [...valuesOf(args, '--ro-bind', 2), ...valuesOf(args, '--ro-bind-try', 2), ...valuesOf(args, '--bind', 2)].map((v) => v[0]!);
      for (const source of sources) {
        assert.ok(
          source === '/usr' || source === '/srv/covenant/agents/probe' || (network === 'full' && source.startsWith('/etc/')),
          `unexpected host path ${source} (network ${network})`,
        );
      }
    }
  });

  it('keeps its own network namespace when network = "off", shares the host network otherwise', () => {
    assert.ok(!bwrapArgs(launch(), MERGED).includes('--share-net'));
    for (const network of ['outbound-https-only', 'full'] as const) {
      const args = bwrapArgs(launch({ profile: { network, envNames: [] } }), MERGED);
      assert.equal(args[0], '--unshare-all');
      assert.equal(args[1], '--share-net');
      assert.deepEqual(valuesOf(args, '--ro-bind-try', 2)[0], ['/etc/resolv.conf', '/etc/resolv.conf']);
    }
  });

  it('follows the host layout: real directories next to /usr are bound read-only, absent ones left out', () => {
    const host: BwrapHost = { ...MERGED, rootEntries: [{ name: 'bin', kind: 'dir' }, { name: 'lib', kind: 'dir' }] };
    const args = bwrapArgs(launch(), host);
    assert.deepEqual(valuesOf(args, '--ro-bind', 2).slice(0, 3), [['/usr', '/usr'], ['/bin', '/bin'], ['/lib', '/lib']]);
    assert.equal(valuesOf(args, '--symlink', 2).length, 0);
  });

  it('binds a node binary that lives outside /usr read-only at its own path (just the file)', () => {
    const host: BwrapHost = { ...MERGED, nodePath: '/opt/node-v20/bin/node' };
    const args = bwrapArgs(launch(), host);
    assert.deepEqual(valuesOf(args, '--ro-bind', 2)[1], ['/opt/node-v20/bin/node', '/opt/node-v20/bin/node']);
    assert.deepEqual(args.slice(args.indexOf('--') + 1), ['/opt/node-v20/bin/node', '--max-old-space-size=64', '/workspace/main.js']);
  });

  it('clears the environment and sets only the allowlisted variables, with the sandbox PATH and HOME', () => {
    const args = bwrapArgs(launch({ env: { PATH: '/root/.cargo/bin', HOME: '/root', AGENT_MODE: 'x' } }), MERGED);
    assert.ok(args.indexOf('--clearenv') < args.indexOf('--setenv'));
    assert.deepEqual(valuesOf(args, '--setenv', 2), [['AGENT_MODE', 'x'], ['HOME', '/tmp'], ['PATH', BWRAP_PATH]]);
  });

  it('runs python3 and bin entries from /workspace', () => {
    const py = bwrapArgs(launch({ runtime: 'python3', entry: 'agent.py' }), MERGED);
    assert.deepEqual(py.slice(py.indexOf('--') + 1), ['python3', '/workspace/agent.py']);
    const bin = bwrapArgs(launch({ runtime: 'bin', entry: 'bin/agent' }), MERGED);
    assert.deepEqual(bin.slice(bin.indexOf('--') + 1), ['/workspace/bin/agent']);
  });

  it('spawns bwrap itself with PATH only', () => {
    const cmd = bwrapCommand(launch(), MERGED);
    assert.equal(cmd.command, '/usr/bin/bwrap');
    assert.deepEqual(cmd.env, { PATH: BWRAP_PATH });
  });

  it('without bwrap a run fails as sandbox_unavailable and says how to install it (never runs unsandboxed)', async () => {
    const runner = createBwrapRunner({ ...MERGED, bwrap: null });
    assert.equal(runner.backend, 'linux-bwrap');
    const result = await runner.run({
      agentId: 'probe',
      packageDir: '/srv/covenant/agents/probe',
      runtime: 'node',
      entry: 'main.js',
      intent: { intent_id: 'i-1', text: 'hi' },
      timeoutMs: 5000,
      memoryMb: 64,
    });
    assert.equal(result.ok, false);
    assert.ok(!result.ok);
    assert.equal(result.reason, 'sandbox_unavailable');
    assert.match(result.message, /agent probe: the linux-bwrap backend needs bwrap, which is not installed: install bubblewrap \(`apt-get install bubblewrap`/);
  });
});

describe('default runtime backend', () => {
  it('is linux-bwrap when bwrap is installed, and says so', () => {
    assert.deepEqual(selectDefaultBackend(undefined, '/usr/bin/bwrap'), {
      backend: 'linux-bwrap',
      reason: 'bubblewrap is installed (/usr/bin/bwrap)',
    });
  });

  it('is trusted-local without bwrap, with a reason that names bubblewrap and the missing isolation', () => {
    const chosen = selectDefaultBackend('', null);
    assert.equal(chosen.backend, 'trusted-local');
    assert.match(chosen.reason, /bubblewrap \(bwrap\) is not installed, so agents run unsandboxed/);
  });

  it('COVENANT_RUNTIME_BACKEND wins, and a misspelt one is refused', () => {
    assert.equal(selectDefaultBackend('trusted-local', '/usr/bin/bwrap').backend, 'trusted-local');
    assert.equal(selectDefaultBackend('linux-bwrap', null).backend, 'linux-bwrap');
    assert.throws(() => selectDefaultBackend('bwrap', '/usr/bin/bwrap'), /COVENANT_RUNTIME_BACKEND="bwrap" is not a runtime backend; use "trusted-local", "linux-bwrap" or "linux-gvisor"/);
  });
});

describe('installed package modes', () => {
  it('shareInstalledTree makes the copy readable and never writable by others, keeping execute bits', async () => {
    const { mkdtempSync, mkdirSync, writeFileSync, statSync, chmodSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { shareInstalledTree } = await import('../../src/runtime/index.js');
    const root = mkdtempSync(join(tmpdir(), 'covenant-share-'));
    try {
      mkdirSync(join(root, 'lib'), { mode: 0o700 });
      writeFileSync(join(root, 'main.js'), '', { mode: 0o600 });
      writeFileSync(join(root, 'lib', 'tool'), '', { mode: 0o700 });
      writeFileSync(join(root, 'lib', 'open.txt'), '');
      chmodSync(join(root, 'lib', 'open.txt'), 0o4666);
      shareInstalledTree(root);
      const mode = (p: string) => (statSync(join(root, p)).mode & 0o7777).toString(8);
      assert.deepEqual([mode('.'), mode('lib'), mode('main.js'), mode('lib/tool'), mode('lib/open.txt')], ['755', '755', '644', '755', '644']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
