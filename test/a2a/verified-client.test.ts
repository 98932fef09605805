// The shipped client for remote daemons (src/a2a/client): it checks the remote's signed card
// (and the pin) before the bearer token goes anywhere, and sends the token only to the A2A
// endpoint under the URL it was given.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildAgentCard, connectRemote, signAgentCard, type AgentCardJson } from '../../src/a2a/index.js';
import { CovenantError } from '../../src/core/index.js';
import { generateSeed, keyPairFromSeed } from '../../src/identity/index.js';

const BASE = 'http://127.0.0.1:4555';
const keys = keyPairFromSeed(generateSeed());
// The card names another address than the one the operator gave: the token must not go there.
const signed = signAgentCard(buildAgentCard({ baseUrl: 'http://127.0.0.9:1', version: '0.0.0-test', agents: [] }), keys);

interface Seen { url: string; authorization: string | null }

function fakeRemote(card: unknown): { fetch: typeof fetch; seen: Seen[] } {
  const seen: Seen[] = [];
  const fake = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = input instanceof Request ? input.url : String(input);
    seen.push({ url, authorization: new Headers(init?.headers).get('authorization') });
    if (url.endsWith('/.well-known/agent-card.json')) return Response.json(card);
    const body = JSON.parse(init?.body as string) as { id: number };
    return Response.json({ jsonrpc: '2.0', id: body.id, error: { code: -32001, message: 'Task not found' } });
  };
  return { fetch: fake, seen };
}

async function refusedWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => error instanceof CovenantError && error.code === code);
}

test('a valid card gives its key and an SDK client whose requests carry the token to <base>/a2a/v1 only', async () => {
  const remote = fakeRemote(signed);
  const connection = await connectRemote(BASE, { token: 'TOKEN123', fetch: remote.fetch });
  assert.equal(connection.pubkey, keys.publicKeyB58);
  assert.equal(connection.client.protocolVersion, '1.0');
  assert.equal(remote.seen[0]!.authorization, null, 'the card is fetched without the token');
  await assert.rejects(connection.client.getTask({ id: 'nope', tenant: '' }));
  assert.deepEqual(remote.seen.slice(1), [{ url: `${BASE}/a2a/v1`, authorization: 'Bearer TOKEN123' }]);
});

test('the pinned key is accepted; another key is refused with E_REMOTE_CARD_MISMATCH', async () => {
  assert.equal((await connectRemote(BASE, { token: 't', pinnedPubkey: keys.publicKeyB58, fetch: fakeRemote(signed).fetch })).pubkey, keys.publicKeyB58);
  const other = keyPairFromSeed(generateSeed()).publicKeyB58;
  const remote = fakeRemote(signed);
  await refusedWith(connectRemote(BASE, { token: 't', pinnedPubkey: other, fetch: remote.fetch }), 'E_REMOTE_CARD_MISMATCH');
  assert.equal(remote.seen.length, 1, 'nothing but the card was fetched');
});

test('a tampered, unsigned or non-JSON card is refused with E_REMOTE_CARD_INVALID, before the token is sent', async () => {
  const tampered: AgentCardJson = { ...signed, name: 'Someone else' };
  for (const card of [tampered, { ...signed, signatures: [] }, 'not a card']) {
    const remote = fakeRemote(card);
    await refusedWith(connectRemote(BASE, { token: 't', fetch: remote.fetch }), 'E_REMOTE_CARD_INVALID');
    assert.equal(remote.seen.length, 1);
  }
  const garbage = (async () => new Response('<html>', { status: 200 })) as unknown as typeof fetch;
  await refusedWith(connectRemote(BASE, { token: 't', fetch: garbage }), 'E_REMOTE_CARD_INVALID');
  const missing = (async () => new Response('no', { status: 404 })) as unknown as typeof fetch;
  await refusedWith(connectRemote(BASE, { token: 't', fetch: missing }), 'E_REMOTE_CARD_INVALID');
});
