// What covenantd prints (issue 10 item 16): human lines on a terminal, JSON lines otherwise (and
// always in the log file); a start-up summary; a loud error when the audit rows since the newest
// checkpoint do not verify; a line when the lock of a killed daemon is taken over.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { formatLogLine } from '../../src/core/log-format.js';
import { DAEMON_BIN, operatorClient, REPO_ROOT, spawnDaemon } from '../helpers/binaries.js';
import { tempDir } from '../helpers/temp-home.js';
import { pidAlive, waitFor } from '../helpers/wait.js';

const HELLO = join(REPO_ROOT, 'agents', 'hello');

test('formatLogLine: time, level, message, then the fields; continuation lines indented; other text as it is', () => {
  const time = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
  assert.equal(
    formatLogLine(`${JSON.stringify({ level: 40, time, name: 'covenantd', stale_pid: 42, home: '/h', agents: ['a', 'b'], msg: 'took over' })}\n`),
    '03:04:05.678 WARN  took over  stale_pid=42 home=/h agents=["a","b"]\n',
  );
  assert.equal(formatLogLine(JSON.stringify({ level: 50, time, msg: 'two\nlines', note: 'has space' })), '03:04:05.678 ERROR two\n                   lines  note="has space"\n');
  assert.equal(formatLogLine(JSON.stringify({ level: 30, time, msg: 'plain' })), '03:04:05.678 INFO  plain\n');
  assert.equal(formatLogLine('not json\n'), 'not json\n');
});

type LogLine = Record<string, unknown> & { level: number; msg: string };

function jsonLines(text: string): LogLine[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      try {
        return JSON.parse(line) as LogLine;
      } catch {
        assert.fail(`a line on stderr is not JSON: ${line}`);
      }
    });
}

test('not a terminal: JSON lines with the start-up summary; a killed daemon\'s lock taken over with a line; a tampered audit tail is an error line, a row and a failed doctor check', async () => {
  const { dir, cleanup } = tempDir('covenant-output-');
  const home = join(dir, 'home');
  const env = { PATH: process.env.PATH, HOME: dir, COVENANT_HTTP_PORT: '0' };
  try {
    const first = await spawnDaemon(home, env, []);
    const client = await operatorClient(home);
    await client.call('agents_install', { dir: HELLO });
    client.close();
    const firstPid = first.child.pid!;
    first.child.kill('SIGKILL');
    await first.stop();
    const summary = jsonLines(first.stderr()).find((line) => line.msg === 'covenantd listening');
    assert.ok(summary, first.stderr());
    assert.equal(summary.home, home);
    assert.equal(summary.socket, join(home, 'sock'));
    assert.match(String(summary.gateway), /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(typeof summary.backend, 'string');
    assert.deepEqual(summary.agents, []);

    // A row written after the newest checkpoint (there is none yet: the tail is the whole log) is edited.
    const db = new Database(join(home, 'covenant.db'));
    const last = db.prepare('SELECT seq, payload FROM audit_events ORDER BY seq DESC LIMIT 1').get() as { seq: number; payload: string };
    db.prepare('UPDATE audit_events SET payload = ? WHERE seq = ?').run(last.payload.replace('hello', 'hellO'), last.seq);
    db.close();

    const second = await spawnDaemon(home, env, []);
    try {
      const lines = jsonLines(second.stderr());
      const takeover = lines.find((line) => line.msg.startsWith('took over the lock'));
      assert.ok(takeover, second.stderr());
      assert.equal(takeover.level, 40);
      assert.equal(takeover.stale_pid, firstPid);
      assert.match(takeover.msg, new RegExp(`pid ${firstPid}\\) that is no longer running`));
      const tamper = lines.find((line) => line.msg.startsWith('THE AUDIT LOG DOES NOT VERIFY'));
      assert.ok(tamper, second.stderr());
      assert.equal(tamper.level, 50);
      assert.match(tamper.msg, new RegExp(`since checkpoint seq 0: 1 failure\\(s\\), first at seq ${last.seq}: row content does not match its event hash`));
      assert.match(tamper.msg, /covenant audit verify/);
      const again = lines.find((line) => line.msg === 'covenantd listening');
      assert.deepEqual(again?.agents, ['hello'], 'the summary names the agents loaded');

      const operator = await operatorClient(home);
      try {
        const doctor = await operator.call('doctor', {});
        const check = doctor.checks.find((c) => c.name === 'audit_tail');
        assert.equal(check?.ok, false);
        assert.match(check.detail, new RegExp(`first at seq ${last.seq}: row content does not match`));
        const rows = await operator.call('audit_recent', { kinds: ['audit_chain_unverified'] });
        assert.deepEqual(
          rows.events.map((e) => e.payload),
          [{ from_seq: 0, failures: [{ seq: last.seq, reason: 'row content does not match its event hash (modified or moved)' }] }],
        );
      } finally {
        operator.close();
      }
      // The log file keeps JSON lines.
      assert.ok(jsonLines(readFileSync(join(home, 'logs', 'covenantd.log'), 'utf8')).some((line) => line.msg.startsWith('THE AUDIT LOG DOES NOT VERIFY')));
    } finally {
      assert.equal(await second.stop(), 0);
    }
  } finally {
    cleanup();
  }
});

test('on a terminal (a pseudo-terminal from `script`): human lines with the start-up summary; the log file stays JSON', async () => {
  const { dir, cleanup } = tempDir('covenant-tty-');
  const home = join(dir, 'home');
  try {
    const child = spawn('script', ['-qfc', `${process.execPath} ${DAEMON_BIN} --home ${home} --no-http`, '/dev/null'], {
      env: { PATH: process.env.PATH, HOME: dir },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    assert.ok(await waitFor(() => output.includes('covenantd listening')), output);
    const summary = output.split(/\r?\n/).find((line) => line.includes('covenantd listening'))!;
    assert.match(summary, new RegExp(`^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO  covenantd listening  version=\\S+ home=${home} socket=${home}/sock gateway=off backend=\\S+ agents=\\[\\] schema_version=\\d+$`));
    assert.ok(!output.includes('{"level"'), 'no JSON on the terminal');
    const pid = Number(readFileSync(join(home, 'covenantd.pid'), 'utf8'));
    process.kill(pid, 'SIGTERM');
    await exited;
    assert.ok(await waitFor(() => !pidAlive(pid)));
    assert.match(output, /\d{3} INFO {2}covenantd stopped {2}reason=SIGTERM/);
    assert.ok(jsonLines(readFileSync(join(home, 'logs', 'covenantd.log'), 'utf8')).some((line) => line.msg === 'covenantd listening'));
  } finally {
    cleanup();
  }
});
