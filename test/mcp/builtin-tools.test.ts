import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DaemonFixture } from '../helpers/daemon-fixture.js';
import { auditPayloads as auditPayloadsOf } from '../helpers/audit-rows.js';

let t: DaemonFixture;
before(async () => {
  t = await DaemonFixture.start();
});
after(async () => {
  await t.stop();
});

function auditPayloads(kind: string): Array<Record<string, unknown>> {
  return auditPayloadsOf(t.daemon.ctx.db, kind);
}

test('tools_list advertises echo and clock with JSON schemas', async () => {
  const client = await t.session();
  const reply = await client.request({ kind: 'tools_list' });
  const tools = reply.tools as Array<{ name: string; server: string; inputSchema: { properties: Record<string, unknown> } }>;
  assert.deepEqual(tools.map((tool) => tool.name), ['clock', 'echo']);
  assert.ok('text' in tools[1]!.inputSchema.properties);
  assert.equal(tools[0]!.server, 'builtin');
  client.close();
});

test('a call needs tool.call.<name>; the refusal is audited as a failed capability check', async () => {
  const client = await t.session();
  const refused = await client.request({ kind: 'tools_call', name: 'echo', arguments: { text: 'x' } });
  assert.equal(refused.code, 'E_CAPABILITY_MISSING');
  assert.match(String(refused.message), /covenant capabilities grant tool\.call\.echo/);
  const check = auditPayloads('capability_check').at(-1)!;
  assert.deepEqual([check.required, check.passed], ['tool.call.echo', false]);
  client.close();
});

test('granted calls answer, and the audit row holds an argument hash, never the arguments', async () => {
  const client = await t.session();
  await client.request({ kind: 'capabilities_grant', action: 'tool.call.echo' });
  await client.request({ kind: 'capabilities_grant', action: 'tool.call.clock' });
  const secret = 'the-raw-argument-text-4242';
  const echo = await client.request({ kind: 'tools_call', name: 'echo', arguments: { text: secret } });
  assert.deepEqual(echo.content, [{ type: 'text', text: secret }]);
  assert.equal(echo.is_error, false);
  const clock = await client.request({ kind: 'tools_call', name: 'clock' });
  const value = (clock.content as Array<{ type: string; value: { epoch_ms: number } }>)[0]!;
  assert.equal(value.type, 'json');
  assert.ok(Math.abs(value.value.epoch_ms - Date.now()) < 60_000);
  const rows = auditPayloads('tool_call_completed');
  assert.deepEqual(rows.slice(-2).map((r) => [r.tool, r.outcome]), [['echo', 'ok'], ['clock', 'ok']]);
  assert.match(String(rows.at(-2)!.arguments_hash_hex), /^[0-9a-f]{64}$/);
  const everything = JSON.stringify(t.daemon.ctx.db.prepare('SELECT payload FROM audit_events').all());
  assert.equal(everything.includes(secret), false);
  client.close();
});

test('arguments are validated against the input schema before the call', async () => {
  const client = await t.session();
  const bad = await client.request({ kind: 'tools_call', name: 'echo', arguments: { txt: 1 } });
  assert.equal(bad.code, 'E_BAD_REQUEST');
  assert.match(String(bad.message), /text/);
  assert.equal(auditPayloads('tool_call_completed').at(-1)!.outcome, 'invalid_arguments');
  client.close();
});

test('a scope that pins arguments admits only those arguments', async () => {
  const client = await t.session();
  const grant = await client.request({ kind: 'capabilities_grant', action: 'tool.call.echo' });
  await client.request({ kind: 'capabilities_revoke', id_or_signature: String(grant.id) });
  for (const row of t.daemon.ctx.db.prepare("SELECT id FROM capabilities WHERE action = 'tool.call.echo' AND revoked_at IS NULL").all() as Array<{ id: string }>) {
    await client.request({ kind: 'capabilities_revoke', id_or_signature: row.id });
  }
  await client.request({ kind: 'capabilities_grant', action: 'tool.call.echo', scope: { arguments: { text: 'allowed' } } });
  const ok = await client.request({ kind: 'tools_call', name: 'echo', arguments: { text: 'allowed' } });
  assert.equal(ok.kind, 'tool_result');
  const refused = await client.request({ kind: 'tools_call', name: 'echo', arguments: { text: 'other' } });
  assert.equal(refused.code, 'E_CAPABILITY_MISSING');
  client.close();
});
