import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { z } from 'zod';
import Database from 'better-sqlite3';
import { zodValidator, type ToolOutput } from '../../src/mcp/index.js';
import { executeRequest, type Caller } from '../../src/requests/index.js';
import { DaemonFixture } from '../helpers/daemon-fixture.js';
import { auditRowsAfterCrash } from '../helpers/crash-snapshot.js';
import { waitFor } from '../helpers/wait.js';

// A request commits once: its capability_check row is written in the transaction of its change
// (or alone at its end), so what a SIGKILL leaves on disk has both rows or neither.

let t: DaemonFixture;
before(async () => {
  t = await DaemonFixture.start();
});
after(async () => {
  await t.stop();
});

/** A tool whose call answers when the test says so. */
function heldTool(name: string): { release(): void; started: () => boolean } {
  let release!: () => void;
  let started = false;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const Args = z.object({}).strict();
  t.ctx.tools.add({
    name,
    description: 'answers when released',
    server: 'builtin',
    inputSchema: z.toJSONSchema(Args),
    validate: zodValidator(Args),
    call: async (): Promise<ToolOutput> => {
      started = true;
      await gate;
      return { content: [{ type: 'text', text: 'released' }], is_error: false };
    },
  });
  return { release, started: () => started };
}

test('a tools_call in flight has nothing on disk; its answer commits its capability_check and its tool_call_completed together', async () => {
  const client = await t.session();
  await client.request({ kind: 'capabilities_grant', action: 'tool.call.held' });
  const tool = heldTool('held');
  const before = t.count('audit_events');
  const reply = client.request({ kind: 'tools_call', name: 'held', arguments: {} });
  assert.ok(await waitFor(() => tool.started()), 'the held tool is called');

  const during = auditRowsAfterCrash(t.paths.db);
  assert.equal(during.length, before, 'a crash during the call leaves neither the check nor the call');
  assert.equal(during.filter((row) => row.kind === 'capability_check' && row.payload.required === 'tool.call.held').length, 0);

  tool.release();
  const answer = await reply;
  assert.equal(answer.kind, 'tool_result');
  const rows = auditRowsAfterCrash(t.paths.db).slice(before);
  assert.deepEqual(
    rows.map((row) => row.kind),
    ['capability_check', 'tool_call_completed'],
    'the answered call left its check then its call row, consecutive',
  );
  assert.equal(rows[0]!.payload.required, 'tool.call.held');
  assert.equal(rows[1]!.seq, rows[0]!.seq + 1);
  client.close();
});

test('a refused request commits its capability_check row before the refusal is answered', async () => {
  const { agent, token } = await t.addPeer('refused-reader');
  const client = await t.session(token);
  const answer = await client.request({ kind: 'tools_call', name: 'echo', arguments: { text: 'x' } });
  assert.equal(answer.code, 'E_CAPABILITY_MISSING');
  const checks = auditRowsAfterCrash(t.paths.db).filter(
    (row) => row.kind === 'capability_check' && row.payload.required === 'tool.call.echo' && row.payload.passed === false,
  );
  assert.equal(checks.length, 1, `the refusal of ${agent.display} is on disk when it is answered`);
  client.close();
});


test('group commit: each of 16 concurrent requests is answered only once its rows are committed', async () => {
  await t.ok({ kind: 'capabilities_grant', action: 'tool.call.echo' });
  const observer = new Database(t.paths.db, { readonly: true });
  const committed = () => (observer.prepare("SELECT count(*) AS n FROM audit_events WHERE kind = 'tool_call_completed'").get() as { n: number }).n;
  const caller: Caller = { agentId: t.operator, role: 'operator', tokenHash: 'test', tokenPrefix: 'test00', transport: 'ipc' };
  try {
    const base = committed();
    let answered = 0;
    await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        Promise.resolve(executeRequest(t.ctx, caller, { kind: 'tools_call', name: 'echo', arguments: { text: `c${i}` } }, new AbortController().signal)).then((reply) => {
          assert.equal(reply.kind, 'tool_result', JSON.stringify(reply));
          answered += 1;
          assert.ok(committed() - base >= answered, `answer ${answered} came before its commit (${committed() - base} committed)`);
        }),
      ),
    );
    assert.equal(committed() - base, 16);
  } finally {
    observer.close();
  }
});

test('a read with nothing left to commit is answered in the same turn; a read after a write of the same turn waits for its commit', async () => {
  const caller: Caller = { agentId: t.operator, role: 'operator', tokenHash: 'test', tokenPrefix: 'test00', transport: 'ipc' };
  const signal = new AbortController().signal;
  assert.equal(t.ctx.commits.settledNow, true);
  const alone = executeRequest(t.ctx, caller, { kind: 'tools_list' }, signal);
  assert.ok(!(alone instanceof Promise), 'no commit group open: the reply itself, not a Promise');
  assert.equal(alone.kind, 'tool_list');

  const write = executeRequest(t.ctx, caller, { kind: 'capabilities_grant', action: 'chain.batches' }, signal);
  assert.equal(t.ctx.commits.settledNow, false, 'the grant opened this turn’s commit group');
  const read = executeRequest(t.ctx, caller, { kind: 'tools_list' }, signal);
  assert.ok(read instanceof Promise, 'a group is open: the read waits for it');
  const [granted, listed] = await Promise.all([write, read]);
  assert.equal(granted.kind, 'capability_granted', JSON.stringify(granted));
  assert.equal(listed.kind, 'tool_list');
  assert.equal(t.ctx.commits.settledNow, true, 'answered once the group committed');
});
