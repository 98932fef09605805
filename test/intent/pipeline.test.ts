import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, mkdtempSync, cpSync, symlinkSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { IpcClient } from '../../src/ipc/index.js';
import { pidAlive, waitFor } from '../helpers/wait.js';
import { FIXTURE_AGENTS, REFERENCE_AGENTS, startRuntimeDaemon, type RuntimeDaemon } from './helpers.js';

describe('dispatch pipeline through the in-process daemon', () => {
  let t: RuntimeDaemon;
  const pidfile = join(mkdtempSync(join(tmpdir(), 'covenant-pids-')), 'pids.json');

  before(async () => {
    t = await startRuntimeDaemon({ FIXTURE_PIDFILE: pidfile, COVENANT_GVISOR_ROOTFS: '/nonexistent/covenant-rootfs' });
  });
  after(async () => {
    await t.stop();
  });

  it('installs hello, routes a keyword intent to it and settles receipt + memory + audit in one go', async () => {
    const installed = await t.install(join(REFERENCE_AGENTS, 'hello'));
    assert.equal(installed.kind, 'agent_installed');
    assert.deepEqual(installed.agent, { id: 'hello', name: 'Hello', version: '0.1.0', runtime: 'node', backend: 'trusted-local' });
    assert.equal(installed.replaced, false);
    assert.match(String(installed.package_sha256), /^[0-9a-f]{64}$/);
    assert.ok(existsSync(join(t.home, 'agents', 'hello', 'agent.toml')), 'the package is copied into the home');
    const [row] = t.auditPayloads('agent_installed');
    assert.deepEqual(row, {
      id: 'hello',
      version: '0.1.0',
      runtime: 'node',
      backend: 'trusted-local',
      package_sha256: installed.package_sha256,
      replaced: false,
    });

    const list = await t.ok({ kind: 'agents_list' });
    assert.deepEqual(
      (list.agents as Array<{ id: string }>).map((a) => a.id),
      ['hello'],
    );
    // Prewarmed on install: one idle process waiting on stdin.
    assert.ok(await waitFor(() => t.daemon.ctx.runtime.runners.warmCount === 1), 'hello has a warm process');

    const reply = await t.ok({ kind: 'submit_intent', text: 'hello there, covenant' });
    assert.equal(reply.kind, 'intent_result');
    assert.equal(reply.status, 'ok');
    assert.equal(reply.agent, 'hello');
    assert.equal(reply.text, 'hello from covenant: hello there, covenant');
    assert.deepEqual(reply.sources, []);
    const settlement = reply.settlement as { receipt_id: string; resource: string; status: string; credits_consumed: number };
    assert.equal(settlement.resource, 'compute');
    assert.equal(settlement.status, 'ok');
    assert.equal(settlement.credits_consumed, 1);

    const db = t.daemon.ctx.db;
    const receipt = db.prepare('SELECT * FROM receipts WHERE id = ?').get(settlement.receipt_id) as Record<string, unknown>;
    assert.equal(receipt.payer, t.self.pubkey);
    assert.equal(receipt.resource, 'compute');
    assert.equal(receipt.status, 'ok');
    assert.equal(receipt.intent_id, reply.intent_id);
    assert.equal(receipt.memory_record_id, reply.intent_id);
    assert.equal(receipt.failure_reason, null);
    assert.equal(receipt.batch_id, null);
    assert.equal(receipt.merkle_root, null);
    assert.equal(receipt.chain, null);
    assert.equal(receipt.tx_sig, null);

    const memory = db.prepare('SELECT * FROM memory_records WHERE id = ?').get(reply.intent_id) as Record<string, unknown>;
    assert.equal(memory.tier, 'working');
    assert.equal(memory.owner, receipt.payer);
    assert.equal(memory.text, reply.text);
    const memoryReceipt = db.prepare('SELECT * FROM receipts WHERE id = ?').get(memory.receipt_id) as Record<string, unknown>;
    assert.equal(memoryReceipt.resource, 'memory', "the record's receipt is its memory receipt");
    assert.equal(memoryReceipt.memory_record_id, reply.intent_id);
    assert.equal(memoryReceipt.payer, t.self.pubkey);
    assert.equal(memoryReceipt.intent_id, null, 'a memory receipt names its record, not the intent');
    assert.equal(t.count('receipts', 'intent_id = ?', reply.intent_id), 1, 'one receipt pays for the run');
    assert.equal(memoryReceipt.status, 'ok');
    const metadata = JSON.parse(String(memory.metadata)) as { compute_receipt_id: string; agent: string };
    assert.equal(metadata.compute_receipt_id, settlement.receipt_id);
    assert.equal(memory.parent, null);
    assert.equal(memory.stale, 0);
    assert.equal((memory.embedding as Buffer).length, 256 * 4);
    assert.equal(metadata.agent, 'hello');

    const dispatched = t.auditPayloads('intent_dispatched');
    assert.equal(dispatched.length, 1);
    assert.equal(dispatched[0]!.intent_id, reply.intent_id);
    assert.equal(dispatched[0]!.agent, 'hello');
    assert.equal(dispatched[0]!.backend, 'trusted-local');
    assert.equal(dispatched[0]!.receipt_id, settlement.receipt_id);
    assert.equal(dispatched[0]!.memory_record_id, reply.intent_id);
    assert.equal(dispatched[0]!.memory_receipt_id, memory.receipt_id);
    assert.equal(dispatched[0]!.credits, 1);
    assert.equal(typeof dispatched[0]!.wall_ms, 'number');

    // Matching counts: every dispatch has exactly one receipt, one record, one row.
    assert.equal(t.count('receipts', "resource = 'compute' AND status = 'ok'"), 1);
    assert.equal(t.count('receipts', "resource = 'memory'"), 1);
    assert.equal(t.count('memory_records'), 1);
    // Neither the intent nor the answer is in the audit log.
    const payloads = (db.prepare('SELECT payload FROM audit_events').all() as Array<{ payload: string }>).map((r) => r.payload).join('\n');
    assert.ok(!payloads.includes('hello there, covenant'), 'intent text is not audited');
  });

  it('answers status "unrouted" when nothing matches: how to go on, no receipt, one intent_unrouted row', async () => {
    const receiptsBefore = t.count('receipts');
    const reply = await t.ok({ kind: 'submit_intent', text: 'zyzzyva quux' });
    assert.equal(reply.status, 'unrouted');
    assert.equal(reply.agent, null);
    assert.match(String(reply.text), /^no installed agent matched this intent \(installed: .+\); name one with `covenant intent --agent <id> <text>`, or install one with `covenant agents install <dir>`/);
    assert.doesNotMatch(String(reply.text), /zyzzyva/, 'the answer does not echo the intent');
    assert.equal(reply.settlement, null);
    assert.equal(t.count('receipts'), receiptsBefore);
    const row = t.auditPayloads('intent_unrouted').at(-1)!;
    assert.equal(row.intent_id, reply.intent_id);
    assert.ok(Number(row.agents_installed) > 0);
  });

  it('--agent skips routing; an unknown agent is E_NOT_FOUND', async () => {
    const reply = await t.ok({ kind: 'submit_intent', text: 'zyzzyva quux', agent: 'hello' });
    assert.equal(reply.agent, 'hello');
    assert.equal(reply.text, 'hello from covenant: zyzzyva quux');
    const missing = await t.call({ kind: 'submit_intent', text: 'anything', agent: 'nobody' });
    assert.equal(missing.kind, 'error');
    assert.equal(missing.code, 'E_NOT_FOUND');
    assert.match(String(missing.message), /no installed agent "nobody"/);
  });

  it('a crashing agent fails the intent with a failed receipt and an intent_failed row; the daemon keeps serving', async () => {
    await t.install(join(FIXTURE_AGENTS, 'crash'));
    const reply = await t.ok({ kind: 'submit_intent', text: 'please do it', agent: 'crash' });
    assert.equal(reply.status, 'failed');
    assert.equal(reply.agent, 'crash');
    assert.match(String(reply.text), /agent crash: exited with code 3; stderr: crash: boom/);
    const settlement = reply.settlement as { receipt_id: string; status: string; credits_consumed: number };
    assert.equal(settlement.status, 'failed');
    assert.ok(settlement.credits_consumed >= 1);
    const receipt = t.daemon.ctx.db.prepare('SELECT * FROM receipts WHERE id = ?').get(settlement.receipt_id) as Record<string, unknown>;
    assert.equal(receipt.status, 'failed');
    assert.equal(receipt.failure_reason, 'nonzero_exit');
    assert.equal(receipt.memory_record_id, null);
    assert.equal(t.count('memory_records', 'id = ?', reply.intent_id), 0, 'no memory for a failure');
    const failed = t.auditPayloads('intent_failed').at(-1)!;
    assert.equal(failed.intent_id, reply.intent_id);
    assert.equal(failed.agent, 'crash');
    assert.equal(failed.receipt_id, settlement.receipt_id);
    assert.equal(failed.reason, 'nonzero_exit');
    assert.equal(failed.message, 'agent crash (trusted-local): exited with code 3');
    assert.ok(!JSON.stringify(failed).includes('boom'), 'agent stderr is not audited');
    assert.deepEqual(await t.ok({ kind: 'ping' }), { kind: 'daemon_ping', status: 'ok' });
  });

  it('malformed stdout is a failure naming the agent', async () => {
    await t.install(join(FIXTURE_AGENTS, 'malformed'));
    const reply = await t.ok({ kind: 'submit_intent', text: 'go', agent: 'malformed' });
    assert.equal(reply.status, 'failed');
    assert.match(String(reply.text), /^agent malformed: malformed output: not JSON/);
    const receipt = t.daemon.ctx.db
      .prepare('SELECT failure_reason FROM receipts WHERE id = ?')
      .get((reply.settlement as { receipt_id: string }).receipt_id) as { failure_reason: string };
    assert.equal(receipt.failure_reason, 'malformed_output');
    assert.equal(t.auditPayloads('intent_failed').at(-1)!.reason, 'malformed_output');
  });

  it('a timeout kills the whole process group and is settled as failed', async () => {
    await t.install(join(FIXTURE_AGENTS, 'slow'));
    rmSync(pidfile, { force: true });
    t.runClock.runMs = null;
    const started = Date.now();
    const reply = await t.ok({ kind: 'submit_intent', text: 'take your time', agent: 'slow' }).finally(() => {
      t.runClock.runMs = 400;
    });
    assert.equal(reply.status, 'failed');
    assert.match(String(reply.text), /agent slow: timed out after 3000 ms/);
    const elapsed = Date.now() - started;
    const receipt = t.daemon.ctx.db
      .prepare('SELECT failure_reason, credits_consumed FROM receipts WHERE id = ?')
      .get((reply.settlement as { receipt_id: string }).receipt_id) as { failure_reason: string; credits_consumed: number };
    assert.equal(receipt.failure_reason, 'timeout');
    // 1 credit per started second of wall time: more than the 3000 ms timeout, at most what the caller waited.
    assert.ok(receipt.credits_consumed >= 4 && receipt.credits_consumed <= Math.ceil(elapsed / 1000), `${receipt.credits_consumed} credits in ${elapsed} ms`);
    const pids = JSON.parse(readFileSync(pidfile, 'utf8')) as { agent: number; grandchild: number };
    assert.ok(await waitFor(() => !pidAlive(pids.agent) && !pidAlive(pids.grandchild)), 'agent and grandchild are gone');
  });

  it('sandbox.required with gVisor unavailable fails (never falls back) and charges nothing', async () => {
    const installed = await t.install(join(FIXTURE_AGENTS, 'gvisor-hello'));
    assert.equal((installed.agent as { backend: string }).backend, 'linux-gvisor');
    const reply = await t.ok({ kind: 'submit_intent', text: 'hi from the test', agent: 'gvisor-hello' });
    assert.equal(reply.status, 'failed');
    assert.match(String(reply.text), /cannot run in gVisor/);
    const settlement = reply.settlement as { receipt_id: string; credits_consumed: number };
    assert.equal(settlement.credits_consumed, 0);
    const receipt = t.daemon.ctx.db.prepare('SELECT failure_reason FROM receipts WHERE id = ?').get(settlement.receipt_id) as {
      failure_reason: string;
    };
    assert.equal(receipt.failure_reason, 'sandbox_unavailable');
    await t.ok({ kind: 'agents_remove', agent: 'gvisor-hello' });
  });

  it('every dispatch outcome so far has exactly one receipt and one dispatched/failed row', () => {
    const dispatched = t.auditPayloads('intent_dispatched').length;
    const failed = t.auditPayloads('intent_failed').length;
    assert.equal(t.count('receipts', "resource = 'compute'"), dispatched + failed);
    assert.equal(t.count('receipts', "resource = 'compute' AND status = 'ok'"), dispatched);
    assert.equal(t.count('receipts', "resource = 'compute' AND status = 'failed'"), failed);
    assert.equal(t.count('memory_records'), dispatched);
    assert.equal(t.count('receipts', "resource = 'memory'"), dispatched);
    assert.equal(t.count('memory_records m JOIN receipts r ON r.id = m.receipt_id', "r.resource = 'memory' AND r.memory_record_id = m.id"), dispatched);
    const receiptIds = new Set(
      [...t.auditPayloads('intent_dispatched'), ...t.auditPayloads('intent_failed')].map((r) => String(r.receipt_id)),
    );
    assert.equal(receiptIds.size, dispatched + failed);
  });

  it('an agent whose required capability the caller lacks is refused before it runs', async () => {
    await t.install(join(FIXTURE_AGENTS, 'needs-cap'));
    const receiptsBefore = t.count('receipts');
    const refused = await t.call({ kind: 'submit_intent', text: 'may I', agent: 'needs-cap' });
    assert.equal(refused.kind, 'error');
    assert.equal(refused.code, 'E_CAPABILITY_MISSING');
    assert.match(String(refused.message), /tool\.call\.echo/);
    assert.equal(t.count('receipts'), receiptsBefore, 'nothing ran, nothing is charged');
    const granted = await t.call({ kind: 'capabilities_grant', action: 'tool.call.echo' });
    assert.equal(granted.kind, 'capability_granted', JSON.stringify(granted));
    const allowed = await t.ok({ kind: 'submit_intent', text: 'may I', agent: 'needs-cap' });
    assert.equal(allowed.status, 'ok');
    assert.equal(allowed.text, 'allowed');
  });

  it('reinstalling replaces the package (audited replaced: true); remove deletes it; unknown ids are E_NOT_FOUND', async () => {
    const again = await t.install(join(REFERENCE_AGENTS, 'hello'));
    assert.equal(again.replaced, true);
    assert.equal(t.auditPayloads('agent_installed').at(-1)!.replaced, true);
    const removed = await t.ok({ kind: 'agents_remove', agent: 'hello' });
    assert.deepEqual(removed, { kind: 'agent_removed', id: 'hello' });
    assert.ok(!existsSync(join(t.home, 'agents', 'hello')));
    assert.equal(t.count('agents', 'id = ?', 'hello'), 0);
    assert.deepEqual(t.auditPayloads('agent_removed').at(-1), { id: 'hello', version: '0.1.0', package_sha256: again.package_sha256 });
    const missing = await t.call({ kind: 'agents_remove', agent: 'hello' });
    assert.equal(missing.code, 'E_NOT_FOUND');
    // Routing no longer finds it.
    const echoed = await t.ok({ kind: 'submit_intent', text: 'hello again' });
    assert.equal(echoed.agent, null);
    // Leftover staging/trash directories: none.
    assert.deepEqual(
      readdirSync(join(t.home, 'agents')).filter((n) => n.startsWith('.')),
      [],
    );
  });

  it('a broken manifest is refused naming the field, and nothing is written but the refusal row', async () => {
    const agentsBefore = t.count('agents');
    const entriesBefore = readdirSync(join(t.home, 'agents')).sort();
    const reply = await t.call({ kind: 'agents_install', dir: join(FIXTURE_AGENTS, 'broken-manifest') });
    assert.equal(reply.kind, 'error');
    assert.equal(reply.code, 'E_BAD_REQUEST');
    assert.match(String(reply.message), /agent\.toml: resources\.memory_mb: expected a positive integer/);
    assert.equal(t.count('agents'), agentsBefore);
    assert.equal(t.count('agents', 'id = ?', 'broken'), 0);
    assert.deepEqual(readdirSync(join(t.home, 'agents')).sort(), entriesBefore);
    const rejected = t.auditPayloads('request_rejected').at(-1)!;
    assert.equal(rejected.request_kind, 'agents_install');
    assert.equal(rejected.code, 'E_BAD_REQUEST');
  });

  it('a package with a symlink leading out of it is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'covenant-pkg-'));
    try {
      cpSync(join(REFERENCE_AGENTS, 'hello'), dir, { recursive: true });
      symlinkSync('/etc/passwd', join(dir, 'passwd'));
      const reply = await t.call({ kind: 'agents_install', dir });
      assert.equal(reply.code, 'E_BAD_REQUEST');
      assert.match(String(reply.message), /passwd: is a symlink that points outside the package/);
      rmSync(join(dir, 'passwd'));
      // A link to a file inside the package is copied as that file.
      writeFileSync(join(dir, 'notes.txt'), 'inside\n');
      symlinkSync('notes.txt', join(dir, 'link.txt'));
      await t.install(dir);
      assert.equal(readFileSync(join(t.home, 'agents', 'hello', 'link.txt'), 'utf8'), 'inside\n');
      await t.ok({ kind: 'agents_remove', agent: 'hello' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('doctor reports the home, schema and gVisor checks', async () => {
    const report = await t.ok({ kind: 'doctor' });
    assert.equal(report.kind, 'doctor_report');
    const checks = report.checks as Array<{ name: string; ok: boolean | null; detail: string; fix: string | null }>;
    const byName = new Map(checks.map((c) => [c.name, c]));
    for (const name of ['daemon', 'home_modes', 'schema_version', 'store_integrity', 'installed_agents', 'runsc', 'gvisor_rootfs', 'gvisor_kernel', 'model_endpoint']) {
      assert.ok(byName.has(name), `doctor has a ${name} check`);
    }
    assert.equal(byName.get('home_modes')!.ok, true);
    assert.equal(byName.get('schema_version')!.ok, true);
    assert.equal(byName.get('model_endpoint')!.ok, null);
    // No installed agent uses gVisor now: a bad rootfs is reported but not a failure.
    assert.equal(byName.get('gvisor_rootfs')!.ok, null);
    assert.match(byName.get('gvisor_rootfs')!.detail, /not needed/);
  });
});

describe('daemon restart', () => {
  it('installed agents survive a restart and are routable at once', async () => {
    const first = await startRuntimeDaemon();
    const home = first.home;
    await first.install(join(REFERENCE_AGENTS, 'hello'));
    first.client.close();
    await first.daemon.stop('test');
    const { startDaemon } = await import('../../src/daemon/index.js');
    const daemon = await startDaemon({ home, agentRuntime: { env: { PATH: process.env.PATH }, killGraceMs: 300 } });
    try {
      assert.deepEqual(
        daemon.ctx.runtime.agents.list().map((a) => a.id),
        ['hello'],
      );
      const client = await IpcClient.connect(daemon.paths.sock, { timeoutMs: 60_000 });
      await client.authenticate(readFileSync(daemon.paths.operatorToken, 'utf8').trim());
      const outcome = await client.request({ kind: 'submit_intent', text: 'hello after restart' });
      client.close();
      assert.equal(outcome.agent, 'hello');
      assert.equal(outcome.status, 'ok');
    } finally {
      await daemon.stop('test');
      rmSync(join(home, '..'), { recursive: true, force: true });
    }
  });
});
