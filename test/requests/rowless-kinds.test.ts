/**
 * Kinds declared `requestRows: false` (protocol/request-definition.ts) run without a deferred-rows
 * scope: each must be a read that checks no capability and writes nothing when it succeeds.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { REQUESTS, type Authorization, type RequestDefinition } from '../../src/protocol/index.js';
import { loadGolden } from '../golden/golden-files.js';
import { DaemonFixture } from '../helpers/daemon-fixture.js';

const definitions = Object.values(REQUESTS).map((entry) => entry as unknown as RequestDefinition);
const rowless = definitions.filter((definition) => definition.requestRows === false);

/** The parameters of the kind's golden request (every kind has one: golden-corpus.test.ts). */
function goldenParams(kind: string): Record<string, unknown> {
  const { kind: _kind, id: _id, ...params } = loadGolden('requests', kind);
  return params;
}

let t: DaemonFixture;
before(async () => {
  t = await DaemonFixture.start();
});
after(async () => {
  await t.stop();
});

test('the request table declares the plain reads rowless', () => {
  assert.deepEqual(rowless.map((definition) => definition.kind).sort(), ['agents_list', 'ping', 'status', 'tools_list', 'tools_servers']);
});

test('a kind declared requestRows: false mutates nothing and checks no capability', () => {
  for (const definition of rowless) {
    assert.equal(definition.mutates, false, `${definition.kind} is declared requestRows: false but mutates`);
    const authorization = (definition.authorize as (params: unknown) => Authorization)(definition.params.parse(goldenParams(definition.kind)));
    assert.equal(authorization.action, null, `${definition.kind} is declared requestRows: false but checks ${String(authorization.action)}`);
    assert.equal(authorization.anyOf, undefined, `${definition.kind} is declared requestRows: false but checks alternatives`);
  }
});

test('a rowless kind that succeeds writes no audit row; a checked request beside it does', async () => {
  const client = await t.session();
  for (const definition of rowless) {
    const before = t.count('audit_events');
    const reply = await client.request({ kind: definition.kind, ...goldenParams(definition.kind) });
    assert.notEqual(reply.kind, 'error', `${definition.kind}: ${JSON.stringify(reply)}`);
    assert.equal(t.count('audit_events'), before, `${definition.kind} wrote an audit row`);
  }
  assert.notEqual((await client.request({ kind: 'capabilities_grant', action: 'tool.call.echo' })).kind, 'error');
  const before = t.count('audit_events');
  assert.equal((await client.request({ kind: 'tools_call', name: 'echo', arguments: { text: 'x' } })).kind, 'tool_result');
  assert.ok(t.audit('capability_check').some((row) => row.payload.required === 'tool.call.echo'));
  assert.ok(t.count('audit_events') > before, 'the checked request wrote its rows');
});

test('a rowless kind refused still writes its refusal row at once', async () => {
  const peer = await t.addPeer('rowless-peer');
  const before = t.count('audit_events');
  await t.refused({ kind: 'status' }, peer.token, 'E_FORBIDDEN');
  const rows = t.auditKinds().slice(before);
  assert.deepEqual(rows, ['request_rejected']);
});
