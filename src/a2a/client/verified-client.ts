/**
 * A client for a remote Covenant daemon's public A2A endpoint that trusts nothing it has not
 * checked: the remote's agent card must carry a valid EdDSA signature (and, when a key is
 * pinned, by that key) before any request carries the bearer token. Federation and the live
 * tests use it; the SDK's `ClientFactory` does the protocol.
 */
import { ClientFactory, ClientFactoryOptions, JsonRpcTransportFactory, createAuthenticatingFetchWithRetry, type Client } from '@a2a-js/sdk/client';
import type { AgentCard } from '@a2a-js/sdk';
import { CovenantError } from '../../core/index.js';
import { A2A_RPC_PATH, AGENT_CARD_PATH, verifyAgentCard, type AgentCardJson } from '../agent-card.js';

export interface ConnectOptions {
  /** A token the remote minted with `covenant peers add`; sent only to the remote's A2A endpoint. */
  token: string;
  /** The base58 key the card must be signed by; absent: any valid signature (trust on first use). */
  pinnedPubkey?: string;
  fetch?: typeof fetch;
  /** Aborts the card fetch. */
  signal?: AbortSignal;
}

export interface RemoteConnection {
  /** The key that signed the card (base58): what to pin. */
  pubkey: string;
  card: AgentCardJson;
  /** The SDK's client (protocol 1.0), bearer auth included. */
  client: Client;
}

/** Fetches and checks `<baseUrl>/.well-known/agent-card.json`, then builds the SDK client. */
export async function connectRemote(baseUrl: string, options: ConnectOptions): Promise<RemoteConnection> {
  const fetchImpl = options.fetch ?? fetch;
  const cardUrl = new URL(AGENT_CARD_PATH, baseUrl);
  const card = await fetchCard(fetchImpl, cardUrl, options.signal);
  const verdict = verifyAgentCard(card);
  if (!verdict.ok) {
    throw new CovenantError('E_REMOTE_CARD_INVALID', `the agent card at ${cardUrl.origin} is refused: ${verdict.reason}; check the remote's URL, or ask its operator`);
  }
  if (options.pinnedPubkey !== undefined && verdict.pubkey !== options.pinnedPubkey) {
    throw new CovenantError(
      'E_REMOTE_CARD_MISMATCH',
      `the agent card at ${cardUrl.origin} is signed by ${verdict.pubkey.slice(0, 8)}…, not by the pinned key ${options.pinnedPubkey.slice(0, 8)}…; if the remote's key really changed, register it again with the new key`,
    );
  }
  const served = card as AgentCardJson;
  // The token goes only where the operator pointed, never to an address the card names.
  const endpoint = new URL(A2A_RPC_PATH, baseUrl).href;
  const pinnedCard = { ...served, supportedInterfaces: served.supportedInterfaces.map((i) => ({ ...i, url: endpoint })) };
  const authed = createAuthenticatingFetchWithRetry(fetchImpl, {
    headers: async () => ({ Authorization: `Bearer ${options.token}` }),
    shouldRetryWithHeaders: async () => undefined,
  });
  const factory = new ClientFactory(
    ClientFactoryOptions.createFrom(ClientFactoryOptions.default, { transports: [new JsonRpcTransportFactory({ fetchImpl: refusingAuth(authed, cardUrl.origin) })] }),
  );
  const client = await factory.createFromAgentCard(pinnedCard as unknown as AgentCard);
  return { pubkey: verdict.pubkey, card: served, client };
}

/**
 * The endpoint's answer, except a 401 or 403: the remote refused the token itself, which no
 * retry changes, so it is `E_REMOTE_AUTH_REFUSED` (the SDK would make it a plain HTTP error).
 */
function refusingAuth(fetchImpl: typeof fetch, origin: string): typeof fetch {
  return async (input, init) => {
    const response = await fetchImpl(input, init);
    if (response.status !== 401 && response.status !== 403) return response;
    await response.body?.cancel();
    throw new CovenantError(
      'E_REMOTE_AUTH_REFUSED',
      `the remote at ${origin} refused this daemon's token (HTTP ${response.status}): the peer it names was revoked or its token rotated there, or the token is wrong; get a new token from its operator (covenant peers add there)`,
    );
  };
}

async function fetchCard(fetchImpl: typeof fetch, url: URL, signal: AbortSignal | undefined): Promise<unknown> {
  let response: Response;
  try {
    response = await fetchImpl(url, { headers: { accept: 'application/json' }, ...(signal ? { signal } : {}) });
  } catch (error) {
    throw new CovenantError('E_DAEMON_UNREACHABLE', `the remote at ${url.origin} is unreachable; check its URL and that its gateway is up`, { cause: error });
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new CovenantError('E_REMOTE_CARD_INVALID', `the remote at ${url.origin} answered ${response.status} for its agent card; is it a Covenant gateway?`);
  }
  try {
    return await response.json();
  } catch (error) {
    throw new CovenantError('E_REMOTE_CARD_INVALID', `the agent card at ${url.origin} is not JSON; is it a Covenant gateway?`, { cause: error });
  }
}
