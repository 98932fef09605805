/**
 * The one refusal path cuts secrets wherever a refusal was built: its message (recordRefusal)
 * and every refusal row (the audit writer), to 6 characters; pubkeys this daemon knows stay
 * whole, and so do rows that are not refusals.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CovenantError, sha256Hex } from '../../src/core/index.js';
import { mintToken } from '../../src/peers/index.js';
import { recordRefusal } from '../../src/requests/index.js';
import { lastSeq, registerPeer, rowsAfter, startGatewayFixture, type GatewayFixture } from '../gateway/helpers.js';

let f: GatewayFixture;
before(async () => {
  f = await startGatewayFixture();
});
after(async () => {
  await f.stop();
});

const site = () => ({ transport: 'ipc' as const, issuer: f.ctx.identity.agentId, tokenPrefix: null, requestKind: 'a2a_cancel' });

test('a refusal message is told with token-shaped runs cut to 6 characters, known pubkeys whole, wherever it was built', () => {
  const token = mintToken();
  const peer = registerPeer(f.ctx, 'known');
  const own = f.ctx.identity.agentId.pubkey;
  const refusal = new CovenantError('E_NOT_FOUND', `no task ${token} for ${peer.agentId.pubkey} or ${own}; piece ${token.slice(3, 30)}`);
  const told = recordRefusal(f.ctx, refusal, site());
  assert.equal(told.code, 'E_NOT_FOUND');
  assert.equal(told.message, `no task ${token.slice(0, 6)}… for ${peer.agentId.pubkey} or ${own}; piece ${token.slice(3, 9)}…`);
  assert.equal(told.toWire().message, told.message);
  const plain = new CovenantError('E_NOT_FOUND', 'no task 5f0c4a1e-1b2c-4d5e-8f90-123456789abc; see covenant a2a status');
  assert.equal(recordRefusal(f.ctx, plain, site()), plain, 'a message with nothing to cut is answered as it is');
});

test('every refusal row is cut by the audit writer, whoever built it; other rows are stored as given', () => {
  const token = mintToken();
  const peer = registerPeer(f.ctx, 'subject');
  const hash = sha256Hex('x'.repeat(10)).replaceAll('0', '1');
  const seq = lastSeq(f.ctx);
  f.ctx.audit.append(f.ctx.identity.agentId, { kind: 'a2a_result_rejected', payload: { task_id: token, reason: 'unknown_task' } });
  f.ctx.audit.append(f.ctx.identity.agentId, {
    kind: 'capability_grant_rejected',
    payload: { action: `memory.${token}`, subject: peer.agentId, reason: `no peer ${token}x` },
  });
  f.ctx.audit.append(f.ctx.identity.agentId, { kind: 'capability_check', payload: { required: `tool.call.${token}`, missing: `tool.call.${token}`, passed: false, capability_id: null, reason: hash } });
  f.ctx.audit.append(f.ctx.identity.agentId, { kind: 'tool_server_restarted', payload: { server: token, state: 'up', last_error: null } });
  const rows = rowsAfter(f.ctx, seq);
  const cut = `${token.slice(0, 6)}…`;
  assert.deepEqual(rows[0]?.payload, { task_id: cut, reason: 'unknown_task' });
  assert.deepEqual(rows[1]?.payload, { action: `memory.${cut}`, subject: peer.agentId, reason: `no peer ${cut}` });
  assert.deepEqual(rows[2]?.payload, { required: `tool.call.${cut}`, missing: `tool.call.${cut}`, passed: false, capability_id: null, reason: hash }, 'a SHA-256 is no secret');
  assert.equal(rows[3]?.payload.server, token, 'a row that is not a refusal is stored as given');
});
