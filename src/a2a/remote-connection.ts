import type { Client } from '@a2a-js/sdk/client';

/** What federation uses of a remote daemon's A2A client. */
export type RemoteA2aClient = Pick<Client, 'sendMessage' | 'getTask' | 'cancelTask'>;

/** A remote daemon after its card was fetched and its signature verified. */
export interface VerifiedRemote {
  /** The key the card is signed with (base58); federation compares it with the pinned one. */
  pubkey: string;
  client: RemoteA2aClient;
}

/**
 * Fetches a remote's signed card, verifies it and returns an SDK client with bearer auth
 * (the shipped client module, `src/a2a/client/`; tests may give a stand-in). It rejects when the
 * card cannot be fetched or does not verify.
 */
export type ConnectRemote = (baseUrl: string, options: { token: string; signal?: AbortSignal }) => Promise<VerifiedRemote>;
