// Stand-in for the shipped client module (src/a2a/client/ connectRemote) until it is merged:
// fetch the card, verify it with the project's verifier, build the SDK client with bearer auth.
import type { AgentCard } from '@a2a-js/sdk';
import { ClientFactory, ClientFactoryOptions, JsonRpcTransportFactory } from '@a2a-js/sdk/client';
import { verifyAgentCard, type ConnectRemote } from '../../src/a2a/index.js';

export const connectForTests: ConnectRemote = async (baseUrl, { token, signal }) => {
  const response = await fetch(new URL('/.well-known/agent-card.json', baseUrl), signal ? { signal } : {});
  const card: unknown = await response.json();
  const verdict = verifyAgentCard(card);
  if (!verdict.ok) throw new Error(verdict.reason);
  const authed: typeof fetch = (input, init) => fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), authorization: `Bearer ${token}` } });
  const factory = new ClientFactory(ClientFactoryOptions.createFrom(ClientFactoryOptions.default, { transports: [new JsonRpcTransportFactory({ fetchImpl: authed })] }));
  return { pubkey: verdict.pubkey, client: await factory.createFromAgentCard(card as AgentCard) };
};
