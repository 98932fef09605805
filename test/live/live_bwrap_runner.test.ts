/**
 * Live tests for the linux-bwrap backend (SPEC 13, "The bubblewrap backend"): the real
 * `covenantd` and `covenant` binaries on a temporary home, the real bwrap, and a fixture agent
 * (test/fixtures/agents/bwrap-probe) that tries to read the daemon's secrets, write outside
 * /tmp, reach a listener on the host's loopback and the daemon's socket.
 *
 * The same probe also runs as trusted-local with the daemon's user: there it reaches all of
 * these, which shows the probe can see an escape (and that trusted-local is no isolation).
 *
 * External services: bubblewrap (`apt-get install bubblewrap`). Without it the tests skip
 * naming it, unless COVENANT_LIVE_REQUIRE lists runtime-agent-subprocess.
 *
 *   COVENANT_LIVE=1 node --import tsx --test test/live/live_bwrap_runner.test.ts
 */
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { locateBwrap } from '../../src/runtime/bwrap/index.js';
import { REPO_ROOT } from '../helpers/binaries.js';
import { liveHome, liveTest, requireService, type LiveHome } from './harness.js';

const PROBE = join(REPO_ROOT, 'test', 'fixtures', 'agents', 'bwrap-probe');
const SURFACE = 'runtime-agent-subprocess';

function needBwrap(t: TestContext): boolean {
  return requireService(t, SURFACE, locateBwrap() !== null, 'bubblewrap (bwrap; apt-get install bubblewrap)');
}

interface ProbeReport {
  uid: number;
  read: Record<string, string>;
  write: Record<string, string>;
  tcp: Record<string, string>;
  unix: Record<string, string>;
}

/** A TCP listener on the host's loopback that counts the connections it accepts. */
async function loopbackListener(): Promise<{ server: Server; port: number; accepted: () => number }> {
  let count = 0;
  const server = createServer((socket) => {
    count += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, accepted: () => count };
}

function install(h: LiveHome, dir: string): { backend: string } {
  const result = h.cli(['agents', 'install', dir, '--json']);
  assert.equal(result.code, 0, `install ${dir}: ${result.stdout}${result.stderr}`);
  return result.json!.agent as { backend: string };
}

function probe(h: LiveHome, agent: string, plan: object): ProbeReport {
  const result = h.cli(['intent', '--json', '--agent', agent, Buffer.from(JSON.stringify(plan)).toString('base64')]);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.equal(result.json!.status, 'ok');
  return JSON.parse(String(result.json!.text)) as ProbeReport;
}

function planFor(h: LiveHome, port: number): object {
  return {
    read: [join(h.home, 'peers', 'operator.token'), join(h.home, 'identity', 'local.key'), join(h.home, 'covenant.db')],
    write: ['/covenant-probe', '/etc/covenant-probe', '/workspace/covenant-probe', '/tmp/covenant-probe'],
    tcp: [{ host: '127.0.0.1', port }],
    unix: [join(h.home, 'sock')],
  };
}

liveTest('live_bwrap_agent_cannot_reach_secrets_host_paths_or_host_listeners', async (t) => {
  if (!needBwrap(t)) return;
  const h = liveHome();
  const listener = await loopbackListener();
  try {
    await h.start();
    const doctor = h.cli(['doctor', '--json']);
    const backendCheck = (doctor.json!.checks as Array<{ name: string; ok: boolean | null; detail: string }>).find((c) => c.name === 'runtime_backend');
    assert.ok(backendCheck, 'doctor reports the runtime backend');
    assert.equal(backendCheck.ok, true, backendCheck.detail);
    assert.match(backendCheck.detail, /^default runtime backend linux-bwrap: bubblewrap is installed \(\/.*bwrap\); bwrap starts a sandbox here/);

    assert.equal(install(h, PROBE).backend, 'linux-bwrap', 'an agent that names no backend runs under bwrap');
    const report = probe(h, 'bwrap-probe', planFor(h, listener.port));

    assert.equal(report.uid, 65534, 'the agent is nobody inside the sandbox');
    for (const [file, outcome] of Object.entries(report.read)) assert.equal(outcome, 'ENOENT', `${file} is not visible in the sandbox`);
    assert.equal(report.write['/covenant-probe'], 'EROFS');
    assert.notEqual(report.write['/etc/covenant-probe'], 'ok');
    assert.equal(report.write['/workspace/covenant-probe'], 'EROFS');
    assert.equal(report.write['/tmp/covenant-probe'], 'ok', 'the private /tmp is writable');
    assert.equal(report.tcp[`127.0.0.1:${listener.port}`], 'ECONNREFUSED', 'the host loopback is another network namespace');
    assert.equal(report.unix[join(h.home, 'sock')], 'ENOENT', 'the daemon socket is not in the sandbox');
    assert.equal(listener.accepted(), 0, 'the host listener saw no connection');
  } finally {
    listener.server.close();
    await h.dispose();
  }
});

liveTest('live_trusted_local_is_no_isolation_and_runs_as_nobody_under_root', async (t) => {
  const h = liveHome();
  const listener = await loopbackListener();
  const root = process.getuid?.() === 0;
  try {
    await h.start();
    // The same probe as trusted-local: once as the daemon's user (opt-in), once as the default.
    const dir = join(h.home, '..', 'probes');
    const variants = [
      { id: 'probe-daemon-user', sandbox: '[sandbox]\nbackend = "trusted-local"\nrun_as_daemon_user = true\n' },
      { id: 'probe-default-user', sandbox: '[sandbox]\nbackend = "trusted-local"\n' },
    ];
    for (const v of variants) {
      const pkg = join(dir, v.id);
      cpSync(PROBE, pkg, { recursive: true });
      const manifest = readFileSync(join(pkg, 'agent.toml'), 'utf8').replace('id = "bwrap-probe"', `id = "${v.id}"`);
      writeFileSync(join(pkg, 'agent.toml'), `${manifest}\n${v.sandbox}`);
      assert.equal(install(h, pkg).backend, 'trusted-local');
    }

    const opted = probe(h, 'probe-daemon-user', planFor(h, listener.port));
    assert.equal(opted.uid, process.getuid?.(), 'with run_as_daemon_user the agent is the daemon user');
    assert.equal(opted.read[join(h.home, 'peers', 'operator.token')], 'ok', 'trusted-local as the daemon user reads the operator token');
    assert.equal(opted.tcp[`127.0.0.1:${listener.port}`], 'ok', 'and reaches host loopback listeners');
    assert.equal(opted.unix[join(h.home, 'sock')], 'ok', 'and the daemon socket');

    const plain = probe(h, 'probe-default-user', planFor(h, listener.port));
    if (!root) {
      t.diagnostic('not root: trusted-local keeps the daemon user, the nobody check needs a root daemon');
      assert.equal(plain.uid, process.getuid?.());
      return;
    }
    assert.equal(plain.uid, 65534, 'under a root daemon trusted-local agents run as nobody');
    assert.equal(plain.read[join(h.home, 'peers', 'operator.token')], 'EACCES', 'nobody cannot read the 0700 home');
    assert.equal(plain.read[join(h.home, 'identity', 'local.key')], 'EACCES');
    assert.equal(plain.write['/covenant-probe'], 'EACCES', 'nor write to /');
    assert.equal(plain.write['/etc/covenant-probe'], 'EACCES', 'nor to /etc');
  } finally {
    listener.server.close();
    await h.dispose();
  }
});
