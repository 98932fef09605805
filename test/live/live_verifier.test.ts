// Live tests for the state verifier (SPEC 2): the real covenantd and covenant binaries on a
// temporary COVENANT_HOME, real dispatches through the reference `hello` agent (trusted-local
// runner, a node subprocess) and `covenant memory write`. External service: none beyond the
// two binaries, node for the agent, and the SQLite file (edited with better-sqlite3 while the
// daemon is stopped, to make drift).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { CLI_BIN, REPO_ROOT } from '../helpers/binaries.js';
import { liveHome, liveTest, type LiveHome } from './harness.js';
import { editDb } from './helpers.js';

interface Drift {
  kind: string;
  id?: string;
  message: string;
  repair: { action: string; command: string; safe: boolean };
}

interface Report {
  kind: string;
  window: number;
  checks: Array<{ name: string; passed: boolean; message: string }>;
  drift: Drift[];
  orphans_total: number;
}

function ok(h: LiveHome, args: string[]): Record<string, unknown> {
  const result = h.cli([...args, '--json']);
  assert.equal(result.code, 0, `covenant ${args.join(' ')}: ${result.stdout}${result.stderr}`);
  assert.equal(result.stderr, '');
  return result.json!;
}

/** Installs the reference hello agent and dispatches `count` intents to it; returns their ids. */
function dispatch(h: LiveHome, count: number): string[] {
  ok(h, ['agents', 'install', join(REPO_ROOT, 'agents', 'hello')]);
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const reply = ok(h, ['intent', '--agent', 'hello', `hello number ${i}`]);
    assert.equal(reply.status, 'ok', JSON.stringify(reply));
    ids.push(String(reply.intent_id));
  }
  return ids;
}

function verify(h: LiveHome, args: string[] = []): { code: number | null; report: Report } {
  const result = h.cli(['verify', '--json', ...args]);
  assert.equal(result.stderr, '', result.stderr);
  assert.ok(result.json, result.stdout);
  const report = result.json as unknown as Report;
  assert.equal(report.kind, 'verify_report');
  return { code: result.code, report };
}

/** Runs a drift item's repair command exactly as printed, `covenant` being the compiled CLI. */
function runRepair(h: LiveHome, command: string, extra = ''): { code: number | null; stdout: string; stderr: string } {
  assert.match(command, /^covenant memory repair /);
  const line = `${command.replace(/^covenant /, `"${process.execPath}" "${CLI_BIN}" `)}${extra}`;
  const result = spawnSync('sh', ['-c', line], { env: h.env, cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

liveTest('live_verify_healthy', async () => {
  const h = liveHome();
  try {
    await h.start();
    dispatch(h, 3);
    ok(h, ['memory', 'write', 'the', 'operator', 'remembers', 'this']);
    const { code, report } = verify(h);
    assert.equal(code, 0, JSON.stringify(report.drift, null, 2));
    assert.equal(report.window, 100);
    assert.equal(report.orphans_total, 0);
    assert.deepEqual(report.drift, []);
    assert.deepEqual(
      report.checks.map((c) => [c.name, c.passed]),
      ['memory_audit', 'memory_parents', 'capability_audit', 'memory_receipts', 'audit_chain', 'store_integrity'].map((n) => [n, true]),
    );
    assert.match(report.checks[0]!.message, /3 dispatch-written memory records and 3 intent_dispatched rows/);
    const human = h.cli(['verify']);
    assert.equal(human.code, 0);
    assert.match(human.stdout, /^clean: no drift/m);
  } finally {
    await h.dispose();
  }
});

liveTest('live_verify_after_audit_loss', async () => {
  const h = liveHome();
  try {
    await h.start();
    const [first, second] = dispatch(h, 2);
    await h.daemon!.stop();
    editDb(h.home, (db) => {
      const deleted = db
        .prepare("DELETE FROM audit_events WHERE kind = 'intent_dispatched' AND json_extract(payload, '$.memory_record_id') = ?")
        .run(first);
      assert.equal(deleted.changes, 1);
    });
    await h.start();
    const { code, report } = verify(h);
    assert.equal(code, 1);
    assert.equal(report.orphans_total, 1, JSON.stringify(report.drift, null, 2));
    const [item] = report.drift;
    assert.equal(item!.kind, 'memory_without_audit');
    assert.equal(item!.id, first);
    assert.notEqual(item!.id, second);
    assert.match(item!.message, /audit chain fails at seq/);
    assert.equal(report.checks.find((c) => c.name === 'audit_chain')!.passed, false);

    // The record's audit row can be backfilled; the deletion stays evident in the chain.
    ok(h, ['capabilities', 'grant', 'memory.repair.*']);
    const repaired = runRepair(h, item!.repair.command);
    assert.equal(repaired.code, 0, repaired.stdout + repaired.stderr);
    const after = verify(h);
    assert.equal(after.code, 1);
    assert.deepEqual(after.report.drift.map((d) => d.kind), ['audit_chain_broken']);
    assert.equal(after.report.drift[0]!.repair.action, 'manual');
  } finally {
    await h.dispose();
  }
});

liveTest('live_verify_after_memory_purge', async () => {
  const h = liveHome();
  try {
    await h.start();
    dispatch(h, 2);
    ok(h, ['memory', 'write', 'soon', 'forgotten']);
    assert.equal(verify(h).code, 0);
    ok(h, ['capabilities', 'grant', 'memory.purge']);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const purged = ok(h, ['memory', 'purge', '--older-than-ms', '1']);
    assert.equal(purged.kind, 'memory_purged');
    assert.equal(purged.purged, 3);
    const { code, report } = verify(h);
    assert.equal(code, 0, JSON.stringify(report.drift, null, 2));
    assert.equal(report.orphans_total, 0);
    // The intent_dispatched rows and memory receipts of the purged records are still there.
    assert.match(report.checks[0]!.message, /2 intent_dispatched rows/);
    assert.match(report.checks[3]!.message, /0 memory records and 3 memory receipts checked \(3 marked for removed records\)/);
  } finally {
    await h.dispose();
  }
});

liveTest('live_targeted_repair_round_trip', async () => {
  const h = liveHome();
  try {
    await h.start();
    const [intent] = dispatch(h, 1);
    const written = ok(h, ['memory', 'write', '--parent', intent!, 'a', 'follow-up', 'note']);
    const noteId = String((written.record as { id: string }).id);
    await h.daemon!.stop();
    // Two independent faults: the note's receipt is lost, the dispatched record's parent dangles.
    editDb(h.home, (db) => {
      assert.equal(db.prepare("DELETE FROM receipts WHERE resource = 'memory' AND memory_record_id = ?").run(noteId).changes, 1);
      db.prepare('UPDATE memory_records SET parent = ? WHERE id = ?').run('00000000-0000-4000-8000-000000000000', intent);
    });
    await h.start();
    const { code, report } = verify(h);
    assert.equal(code, 1);
    assert.deepEqual(
      report.drift.map((d) => [d.kind, d.id]).sort(),
      [
        ['memory_stale_parent', intent],
        ['memory_without_receipt', noteId],
      ].sort(),
    );

    // Without memory.repair.* the repair is refused (exit 1, error object on stdout).
    const refused = runRepair(h, report.drift[0]!.repair.command, ' --json');
    assert.equal(refused.code, 1);
    assert.equal((JSON.parse(refused.stdout) as { code: string }).code, 'E_CAPABILITY_MISSING');

    ok(h, ['capabilities', 'grant', 'memory.repair.*']);
    for (const item of report.drift) {
      const dry = runRepair(h, item.repair.command.replace(/ --apply$/, ''), ' --json');
      assert.equal(dry.code, 0, dry.stdout + dry.stderr);
      assert.equal((JSON.parse(dry.stdout) as { applied: boolean }).applied, false);
      assert.equal(verify(h).report.orphans_total, 2, 'a dry run changes nothing');
    }
    for (const item of report.drift) {
      const applied = runRepair(h, item.repair.command, ' --json');
      assert.equal(applied.code, 0, applied.stdout + applied.stderr);
      const reply = JSON.parse(applied.stdout) as { kind: string; applied: boolean; id: string };
      assert.equal(reply.kind, 'memory_repair');
      assert.equal(reply.applied, true);
      assert.equal(reply.id, item.id);
    }
    const after = verify(h);
    assert.equal(after.code, 0, JSON.stringify(after.report.drift, null, 2));

    const rows = ok(h, ['audit', 'recent', '-n', '50', '--kind', 'memory_repair_applied', '--kind', 'memory_repair_planned']);
    const kinds = (rows.events as Array<{ kind: string; payload: { reason: string } }>).map((e) => e.kind);
    assert.equal(kinds.filter((k) => k === 'memory_repair_planned').length, 2);
    assert.equal(kinds.filter((k) => k === 'memory_repair_applied').length, 2);
  } finally {
    await h.dispose();
  }
});
