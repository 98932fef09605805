import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { REPO_ROOT } from '../helpers/binaries.js';
import { Rng } from '../../scripts/harness/rng.js';
import { gatewayRoutes } from '../../src/gateway/app.js';
import { httpCase } from '../../scripts/fuzz/http-cases.js';
import { frame, ipcCase } from '../../scripts/fuzz/ipc-cases.js';
import { auditFindings, isRefusalRow, judgeHttpReply, judgeIpcReply, leakedTokens } from '../../scripts/fuzz/judge.js';
import { goldenRequests, mutatedRequest } from '../../scripts/fuzz/requests.js';
import { Values } from '../../scripts/fuzz/values.js';
import type { FuzzReport } from '../../scripts/fuzz/run.js';
import type { TortureReport } from '../../scripts/torture/run.js';

const TOKEN = 'GoekR8RzB34J22FXkiTytrMj3kWPR8cH7Vd7QTZkyP5j';

/** Runs one harness script with --json; returns its exit code and its one JSON object. */
function runHarness<T>(script: string, args: string[]): { code: number | null; report: T; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'scripts', script, 'main.ts'), ...args, '--json'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
    timeout: 600_000,
  });
  const lines = result.stdout.trim().split('\n');
  assert.equal(lines.length, 1, `--json prints exactly one line:\n${result.stdout}\n${result.stderr}`);
  return { code: result.status, report: JSON.parse(lines[0]!) as T, stderr: result.stderr };
}

describe('fuzz judge (pure)', () => {
  test('refusal rows: *_rejected, authentication_failed, failed capability checks; not successes', () => {
    assert.equal(isRefusalRow('request_rejected', '{}'), true);
    assert.equal(isRefusalRow('frame_rejected', '{}'), true);
    assert.equal(isRefusalRow('authentication_failed', '{}'), true);
    assert.equal(isRefusalRow('capability_grant_rejected', '{}'), true);
    assert.equal(isRefusalRow('capability_check', '{"passed":false}'), true);
    assert.equal(isRefusalRow('capability_check', '{"passed":true}'), false);
    assert.equal(isRefusalRow('tool_call_completed', '{"outcome":"unknown_tool"}'), true);
    assert.equal(isRefusalRow('tool_call_completed', '{"outcome":"ok"}'), false);
    assert.equal(isRefusalRow('memory_written', '{}'), false);
  });

  test('an IPC error must be exactly {kind, code from the catalogue, message[, id]}', () => {
    const ok = judgeIpcReply({ type: 'message', value: { kind: 'error', code: 'E_FORBIDDEN', message: 'no', id: 3 } });
    assert.deepEqual([ok.refusal, ok.shapeProblem], [true, null]);
    assert.match(judgeIpcReply({ type: 'message', value: { kind: 'error', code: 'E_NOPE', message: 'x' } }).shapeProblem ?? '', /not in the catalogue/);
    assert.match(judgeIpcReply({ type: 'message', value: { kind: 'error', code: 'E_INTERNAL', message: 'x', stack: 'at' } }).shapeProblem ?? '', /extra fields stack/);
    assert.match(judgeIpcReply({ type: 'message', value: [1] }).shapeProblem ?? '', /not a JSON object/);
    assert.match(judgeIpcReply({ type: 'invalid_json', detail: 'x' }).shapeProblem ?? '', /invalid JSON/);
    assert.equal(judgeIpcReply({ type: 'message', value: { kind: 'authentication_failed', reason: 'x' } }).refusal, true);
    assert.equal(judgeIpcReply({ type: 'message', value: { kind: 'daemon_ping', status: 'ok' } }).refusal, false);
    assert.equal(judgeIpcReply({ type: 'message', value: { kind: 'error', code: 'E_INTERNAL', message: 'x' } }).internal, true);
  });

  test('an HTTP refusal must be a JSON error whose code maps to the status', () => {
    const body = (value: unknown) => Buffer.from(JSON.stringify(value));
    assert.equal(judgeHttpReply('POST', 403, 'application/json', body({ kind: 'error', code: 'E_FORBIDDEN', message: 'no' })).shapeProblem, null);
    assert.match(judgeHttpReply('POST', 404, 'application/json', body({ kind: 'error', code: 'E_FORBIDDEN', message: 'no' })).shapeProblem ?? '', /status 404 for E_FORBIDDEN/);
    assert.match(judgeHttpReply('DELETE', 500, 'text/plain', Buffer.from('Internal Server Error')).shapeProblem ?? '', /content-type text\/plain/);
    assert.equal(judgeHttpReply('GET', 200, 'application/json', body({ kind: 'pong' })).refusal, false);
    assert.equal(judgeHttpReply('HEAD', 401, undefined, Buffer.alloc(0)).refusal, true);
  });

  test('audit findings: refusals beyond refusal rows are unaudited; rows with a full token leak', () => {
    const rows = [
      { kind: 'request_rejected', payload: '{"code":"E_BAD_REQUEST"}' },
      { kind: 'capability_check', payload: '{"passed":true}' },
      { kind: 'authentication_failed', payload: JSON.stringify({ path: `/peers/${TOKEN}` }) },
    ];
    assert.deepEqual(auditFindings(rows, 2, [TOKEN]), { unaudited: 0, leakingRows: ['authentication_failed'] });
    assert.deepEqual(auditFindings(rows, 5, [TOKEN]), { unaudited: 3, leakingRows: ['authentication_failed'] });
    assert.deepEqual(auditFindings([], 1, [TOKEN]), { unaudited: 1, leakingRows: [] });
    assert.deepEqual(leakedTokens(`prefix ${TOKEN.slice(0, 6)} only`, [TOKEN]), []);
  });

  test('frame expectations: a truncated header is unfinished, an oversized length ends the stream', () => {
    const values = new Values(new Rng(5), () => [TOKEN]);
    const golden = goldenRequests();
    const seen = new Map<string, { completeFrames: number; unfinished: boolean; oversized: boolean }>();
    const rng = new Rng(9);
    for (let i = 0; i < 400 && seen.size < 14; i += 1) {
      const c = ipcCase(rng, values, golden, 'guest', () => TOKEN);
      seen.set(c.category, c);
    }
    assert.deepEqual(pick(seen.get('truncated_header')), { completeFrames: 0, unfinished: true, oversized: false });
    assert.deepEqual(pick(seen.get('huge_length')), { completeFrames: 1, unfinished: false, oversized: true });
    assert.deepEqual(pick(seen.get('short_body')), { completeFrames: 0, unfinished: true, oversized: false });
    assert.deepEqual(pick(seen.get('mutated')), { completeFrames: 1, unfinished: false, oversized: false });
    assert.equal(frame(Buffer.from('{}')).readUInt32BE(0), 2);
  });

  test('the same seed gives the same cases; the operator never sends a forced revoke', () => {
    const golden = goldenRequests();
    const run = (seed: number) => {
      const rng = new Rng(seed);
      const values = new Values(rng, () => [TOKEN]);
      return Array.from({ length: 50 }, () => mutatedRequest(rng, values, golden, true, 'peers_revoke').text);
    };
    const digest = (texts: string[]) => createHash('sha256').update(texts.join('\n')).digest('hex');
    assert.equal(digest(run(42)), digest(run(42)));
    assert.notEqual(digest(run(42)), digest(run(43)));
    for (const text of run(7)) {
      const message = JSON.parse(text) as Record<string, unknown>;
      assert.equal(message.force, false, text.slice(0, 200));
    }
  });

  // Seed 4055616904 drew, at case 5028, a kind that an earlier mutation had made an object without
  // a prototype; the generator then died in String(kind) and took the CI fuzz run with it.
  test('the case generators never throw, whatever an earlier mutation left in a request', () => {
    const golden = goldenRequests();
    const routes = gatewayRoutes();
    const rng = new Rng(4055616904);
    const values = new Values(rng, () => [TOKEN]);
    let cases = 0;
    for (let i = 0; i < 6000; i += 1) {
      const lane = rng.pick(['pre_auth', 'guest', 'operator', 'http'] as const);
      if (lane === 'http') httpCase(rng, values, golden, routes, { operator: TOKEN, guest: TOKEN, revoked: null });
      else ipcCase(rng, values, golden, lane, () => TOKEN);
      cases += 1;
    }
    assert.equal(cases, 6000);
  });
});

function pick(c: { completeFrames: number; unfinished: boolean; oversized: boolean } | undefined) {
  assert.ok(c, 'category drawn');
  return { completeFrames: c.completeFrames, unfinished: c.unfinished, oversized: c.oversized };
}

describe('npm run torture (1 cycle, compiled covenantd)', () => {
  let run: { code: number | null; report: TortureReport; stderr: string };
  before(() => {
    // --inject-loss adds one acknowledged write that was never made: the run must catch exactly it.
    run = runHarness<TortureReport>('torture', ['--cycles', '1', '--seed', '1', '--inject-loss']);
  });

  test('reports every write kind, loses no real write, catches the injected loss and exits 1', () => {
    const { report, code } = run;
    assert.equal(report.kind, 'torture_report');
    assert.equal(report.seed, 1);
    assert.deepEqual([report.cycles_requested, report.cycles_completed], [1, 1]);
    assert.deepEqual(Object.keys(report.writes).sort(), [
      'audit_checkpoint',
      'capability_grant',
      'intent_receipt',
      'memory_write',
      'peer_add',
      'peer_revoke',
      'receipt_flush',
      'token_rotation',
    ]);
    const sum = (f: 'acknowledged' | 'lost') => Object.values(report.writes).reduce((s, w) => s + w[f], 0);
    assert.equal(report.acknowledged_total, sum('acknowledged'));
    assert.equal(report.lost_total, sum('lost'));
    // The cycle is killed at its 5th-60th acknowledged write; plus the injected one.
    assert.ok(report.acknowledged_total >= 6, `acknowledged ${report.acknowledged_total}`);
    assert.equal(report.lost_total, 1, JSON.stringify(report.problems));
    assert.equal(report.writes.memory_write.lost, 1);
    assert.ok(report.problems.some((p) => p.includes('memory_write injected-1')), JSON.stringify(report.problems));
    assert.equal(report.ok, false);
    assert.equal(code, 1, run.stderr);
  });

  test('audit verify and covenant verify ran after the restart and were clean', () => {
    const { report } = run;
    assert.deepEqual(report.audit_verify, { runs: 1, clean: 1, failures: 0 });
    assert.deepEqual(report.covenant_verify, { runs: 1, clean: 1, failures: 0 });
    assert.equal(report.restart_failures, 0);
    assert.equal(report.unexpected_exits, 0);
    assert.equal(report.stalled_cycles, 0);
    assert.ok(report.requests_sent >= report.acknowledged_total - 1);
  });
});

describe('npm run fuzz (300 frames, compiled covenantd)', () => {
  let run: { code: number | null; report: FuzzReport; stderr: string };
  before(() => {
    // --inject-crash SIGKILLs covenantd halfway: the run must count it, restart and finish.
    run = runHarness<FuzzReport>('fuzz', ['--frames', '300', '--seed', '1', '--inject-crash']);
  });

  test('sends every frame, counts consistently and reports the injected crash', () => {
    const { report, code } = run;
    assert.equal(report.kind, 'fuzz_report');
    assert.equal(report.seed, 1);
    assert.equal(report.frames_requested, 300);
    assert.equal(report.frames_sent, 300);
    assert.equal(Object.values(report.frames).reduce((s, n) => s + n, 0), 300);
    for (const lane of ['ipc_pre_auth', 'ipc_guest', 'ipc_operator', 'http'] as const) assert.ok(report.frames[lane] > 0, lane);
    assert.equal(report.aborted, null);
    assert.equal(report.refusal_rows + report.unaudited_refusals, report.refusals);
    assert.ok(report.refusals <= report.replies);
    assert.ok(report.daemon_crashes >= 1, 'the injected SIGKILL is counted');
    assert.ok(report.samples.crashes.some((s) => s.detail.startsWith('exit SIGKILL')), JSON.stringify(report.samples.crashes));
    assert.ok(report.restarts >= report.daemon_crashes);
    for (const [which, samples] of Object.entries(report.samples)) assert.ok(samples.length <= 8, which);
    assert.equal(report.ok, false);
    assert.equal(code, 1);
  });

  test('every other finding is in the report with its count', () => {
    const { report } = run;
    const counted: Array<[keyof FuzzReport['samples'], number]> = [
      ['hangs', report.hangs + report.unresponsive],
      ['unaudited', report.unaudited_refusals],
      ['shapes', report.non_error_shape_replies],
      ['leaks', report.token_leaks],
      ['closed_without_reply', report.closed_without_reply],
      ['internal', report.internal_errors],
    ];
    for (const [which, count] of counted) assert.equal(report.samples[which].length > 0, count > 0, which);
  });

  // Enable once issue 8 items 1, 6, 7 and 8 are merged (no crash from one frame, no token in
  // audit rows or errors, every refusal audited, HTTP 405 instead of 500): then the only crash
  // is the injected one.
  test('no crash but the injected one, no hang, no unaudited refusal', () => {
    const { report } = run;
    assert.equal(report.daemon_crashes, 1, JSON.stringify(report.samples.crashes));
    assert.equal(report.hangs, 0);
    assert.equal(report.unaudited_refusals, 0, JSON.stringify(report.samples.unaudited));
    assert.equal(report.token_leaks, 0, JSON.stringify(report.samples.leaks));
  });
});
