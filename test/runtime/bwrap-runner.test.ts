// The linux-bwrap runner with the real bwrap, and trusted-local's unprivileged user under root.
// Skipped (with the reason) where bwrap is not installed or the test does not run as root.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { AgentManifestSchema, RunnerPool, createBwrapRunner, detectBwrapHost, type AgentRunRequest } from '../../src/runtime/index.js';

const host = detectBwrapHost();
const noBwrap = host.bwrap === null ? 'bubblewrap (bwrap) is not installed' : false;
const notRoot = process.getuid?.() !== 0 ? 'trusted-local drops privileges only when the daemon runs as root' : false;

// A 0700 parent, like $COVENANT_HOME: only the package itself is readable by others.
const scratch = mkdtempSync(path.join(tmpdir(), 'covenant-bwrap-runner-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function agentPackage(name: string, source: string): string {
  const dir = path.join(scratch, name);
  mkdirSync(dir);
  chmodSync(dir, 0o755);
  writeFileSync(path.join(dir, 'main.mjs'), source, { mode: 0o644 });
  return dir;
}

const READ_INTENT = `let input = ''; process.stdin.setEncoding('utf8');
const intent = await new Promise((resolve) => { process.stdin.on('data', (c) => { input += c; }); process.stdin.on('end', () => resolve(JSON.parse(input.split('\\n')[0]))); });
`;
const whoami = agentPackage(
  'whoami',
  `${READ_INTENT}process.stdout.write(JSON.stringify({ text: JSON.stringify({ uid: process.getuid(), gid: process.getgid(), cwd: process.cwd(), env: process.env, said: intent.text }) }) + '\\n');\n`,
);
const hang = agentPackage('hang', `${READ_INTENT}setInterval(() => {}, 1000);\n`);
const flood = agentPackage('flood', `${READ_INTENT}const chunk = 'x'.repeat(65536); const spew = () => { while (process.stdout.write(chunk)); process.stdout.once('drain', spew); }; spew();\n`);

let seq = 0;
function request(packageDir: string, overrides: Partial<AgentRunRequest> = {}): AgentRunRequest {
  seq += 1;
  return { agentId: 'probe', packageDir, runtime: 'node', entry: 'main.mjs', intent: { intent_id: `i-${seq}`, text: `ping ${seq}` }, timeoutMs: 20_000, memoryMb: 64, ...overrides };
}

describe('linux-bwrap runner (real bwrap)', { skip: noBwrap }, () => {
  it('answers over the same stdin/stdout protocol, as nobody in /workspace with an allowlisted environment', async () => {
    const runner = createBwrapRunner(host, {
      baseEnv: { PATH: process.env.PATH, HOME: '/root', COVENANT_HOME: '/secret/home', COVENANT_VISIBLE: 'v', AWS_SECRET_ACCESS_KEY: 's', LANG: 'C.UTF-8' },
    });
    const result = await runner.run(request(whoami));
    assert.ok(result.ok, JSON.stringify(result));
    const seen = JSON.parse(result.answer.text) as { uid: number; gid: number; cwd: string; env: Record<string, string>; said: string };
    assert.equal(seen.said, `ping ${seq}`);
    assert.equal(seen.uid, 65534);
    assert.equal(seen.gid, 65534);
    assert.equal(seen.cwd, '/workspace');
    // PWD is bwrap's own (--chdir).
    assert.deepEqual(seen.env, { HOME: '/tmp', LANG: 'C.UTF-8', PATH: '/usr/local/bin:/usr/bin:/bin', PWD: '/workspace' });
  });

  it('a timeout kills the sandbox (reason timeout, the run returns)', async () => {
    const runner = createBwrapRunner(host, { killGraceMs: 200 });
    const result = await runner.run(request(hang, { timeoutMs: 1500 }));
    assert.equal(result.ok, false);
    assert.ok(!result.ok);
    assert.equal(result.reason, 'timeout');
    assert.match(result.message, /agent probe: timed out after 1500 ms; its process group was killed/);
  });

  it('the stdout cap applies inside the sandbox too', async () => {
    const runner = createBwrapRunner(host, { maxStdoutBytes: 256 * 1024 });
    const result = await runner.run(request(flood));
    assert.ok(!result.ok);
    assert.equal(result.reason, 'stdout_overflow');
  });

  it('keeps a warm sandbox per agent and hands it the next intent', async () => {
    const runner = createBwrapRunner(host, { warm: true });
    try {
      const launch = request(whoami);
      runner.prewarm(launch);
      assert.equal(runner.warmCount, 1);
      const pid = runner.warmPid('probe', whoami);
      const result = await runner.run(launch);
      assert.ok(result.ok, JSON.stringify(result));
      assert.notEqual(pid, undefined);
      assert.notEqual(runner.warmPid('probe', whoami), pid, 'the warm sandbox was used and a new one prepared');
    } finally {
      await runner.close();
    }
    assert.equal(runner.warmCount, 0);
  });
});

describe('trusted-local under a root daemon', { skip: notRoot }, () => {
  const manifest = (sandbox: string) =>
    AgentManifestSchema.parse({
      agent: { id: 'probe', name: 'Probe', version: '0.1.0', runtime: 'node', entry: 'main.mjs' },
      sandbox: sandbox === '' ? {} : { backend: 'trusted-local', run_as_daemon_user: true },
    });

  it('runs the agent as nobody (65534), which can still read its own package under a 0700 parent', async () => {
    const pool = new RunnerPool({ covenantHome: scratch, gvisorStateRoot: path.join(scratch, 'gvisor'), manifest: () => manifest(''), bwrapHost: host });
    try {
      const result = await pool.runnerFor('trusted-local').run(request(whoami));
      assert.ok(result.ok, JSON.stringify(result));
      const seen = JSON.parse(result.answer.text) as { uid: number; gid: number; env: Record<string, string> };
      assert.equal(seen.uid, 65534);
      assert.equal(seen.gid, 65534);
      assert.equal(seen.env.HOME, '/tmp');
    } finally {
      await pool.close();
    }
  });

  it('keeps the daemon user (root) only when the manifest opts in with sandbox.run_as_daemon_user', async () => {
    const pool = new RunnerPool({ covenantHome: scratch, gvisorStateRoot: path.join(scratch, 'gvisor'), manifest: () => manifest('opt-in'), bwrapHost: host });
    try {
      const result = await pool.runnerFor('trusted-local').run(request(whoami));
      assert.ok(result.ok, JSON.stringify(result));
      assert.equal((JSON.parse(result.answer.text) as { uid: number }).uid, 0);
    } finally {
      await pool.close();
    }
  });
});
