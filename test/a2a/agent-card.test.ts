// The signed agent card (SPEC 10): served without a token, one skill per installed agent,
// signed by the daemon key; the project's verifier accepts it and refuses any change or other key.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { verifyAgentCard, type AgentCardJson } from '../../src/a2a/index.js';
import { generateSeed, keyPairFromSeed } from '../../src/identity/index.js';
import { writeFixtureAgent } from '../budget/fixture-agent.js';
import { startGatewayFixture, type GatewayFixture } from '../gateway/helpers.js';
import { tempDir } from '../helpers/temp-home.js';

let f: GatewayFixture;
let packages: { dir: string; cleanup: () => void };

before(async () => {
  packages = tempDir('covenant-card-agents-');
  f = await startGatewayFixture();
  const reply = await f.t.call({ kind: 'agents_install', dir: writeFixtureAgent(packages.dir, 'helper', { creditsPerHour: 0 }) });
  assert.equal(reply.kind, 'agent_installed', JSON.stringify(reply));
});
after(async () => {
  await f?.stop();
  packages?.cleanup();
});

async function card(): Promise<AgentCardJson> {
  const response = await fetch(`${f.url}/.well-known/agent-card.json`);
  assert.equal(response.status, 200);
  return (await response.json()) as AgentCardJson;
}

test('the card is public, names the bound address, both protocol versions and bearer auth, one skill per agent', async () => {
  const served = await card();
  assert.deepEqual(
    served.supportedInterfaces.map((i) => [i.url, i.protocolBinding, i.protocolVersion]),
    [
      [`${f.url}/a2a/v1`, 'JSONRPC', '1.0'],
      [`${f.url}/a2a/v1`, 'JSONRPC', '0.3'],
    ],
  );
  assert.ok('bearer' in served.securitySchemes);
  assert.deepEqual(
    served.skills.map((s) => [s.id, s.name, s.tags]),
    [['helper', 'Budget fixture helper', ['helper']]],
  );
  // The Host header does not reach the signed card.
  const spoofed = (await (await fetch(`${f.url}/.well-known/agent-card.json`, { headers: { host: 'evil.example:443' } })).json()) as AgentCardJson;
  assert.equal(spoofed.supportedInterfaces[0]!.url, `${f.url}/a2a/v1`);
});

test('the signature verifies with the daemon key, and pinning refuses another key', async () => {
  const served = await card();
  const daemonKey = f.ctx.identity.keys.publicKeyB58;
  assert.deepEqual(verifyAgentCard(served), { ok: true, pubkey: daemonKey });
  assert.deepEqual(verifyAgentCard(served, daemonKey), { ok: true, pubkey: daemonKey });
  const other = keyPairFromSeed(generateSeed()).publicKeyB58;
  const pinned = verifyAgentCard(served, other);
  assert.equal(pinned.ok, false);
  assert.match(pinned.ok ? '' : pinned.reason, /not by the pinned key/);
});

test('a changed card, a stripped signature or a swapped key is refused', async () => {
  const served = await card();
  const tampered = { ...served, skills: [...served.skills, { ...served.skills[0]!, id: 'extra' }] };
  assert.deepEqual(verifyAgentCard(tampered), { ok: false, reason: 'the card signature does not verify' });
  assert.equal(verifyAgentCard({ ...served, signatures: [] }).ok, false);
  assert.equal(verifyAgentCard('not a card').ok, false);
  // A header naming another key (with the original signature) does not verify either.
  const otherKey = keyPairFromSeed(generateSeed());
  const header = JSON.parse(Buffer.from(served.signatures[0]!.protected, 'base64url').toString()) as Record<string, unknown>;
  const swapped = Buffer.from(JSON.stringify({ ...header, kid: otherKey.publicKeyB58, jwk: { kty: 'OKP', crv: 'Ed25519', x: otherKey.publicKey.toString('base64url') } })).toString('base64url');
  assert.equal(verifyAgentCard({ ...served, signatures: [{ ...served.signatures[0]!, protected: swapped }] }).ok, false);
});
