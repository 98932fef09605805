// The SDK's own A2A clients against a Covenant gateway: v1.0 through the shipped connectRemote
// (signed card checked), v0.3 through the SDK's compatibility transport, both with bearer auth.
import { randomUUID } from 'node:crypto';
import { SendMessageRequest, type StreamResponse } from '@a2a-js/sdk';
import {
  ClientFactory,
  ClientFactoryOptions,
  DefaultAgentCardResolver,
  JsonRpcTransportFactory,
  createAuthenticatingFetchWithRetry,
  type Client,
} from '@a2a-js/sdk/client';
import { connectRemote } from '../../src/a2a/index.js';

export async function v1Client(baseUrl: string, token: string): Promise<Client> {
  return (await connectRemote(baseUrl, { token })).client;
}

/** A v0.3 client: the SDK's factory with its legacy compatibility, on the card's 0.3 interface only. */
export async function v03Client(baseUrl: string, token: string): Promise<Client> {
  const fetchImpl = createAuthenticatingFetchWithRetry(fetch, {
    headers: async () => ({ Authorization: `Bearer ${token}` }),
    shouldRetryWithHeaders: async () => undefined,
  });
  const card = await new DefaultAgentCardResolver().resolve(baseUrl);
  const legacyOnly = { ...card, supportedInterfaces: card.supportedInterfaces.filter((i) => i.protocolVersion === '0.3') };
  const factory = new ClientFactory(
    ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
      transports: [new JsonRpcTransportFactory({ fetchImpl, legacyCompat: { enabled: true } })],
    }),
  );
  return factory.createFromAgentCard(legacyOnly);
}

/** A SendMessage request: one text part, recipient metadata, a fresh messageId unless given. */
export function message(text: string, metadata: Record<string, string> = {}, options: { messageId?: string; returnImmediately?: boolean } = {}): SendMessageRequest {
  return SendMessageRequest.fromJSON({
    message: { messageId: options.messageId ?? randomUUID(), role: 'ROLE_USER', parts: [{ text }], metadata },
    ...(options.returnImmediately ? { configuration: { returnImmediately: true } } : {}),
  });
}

/** A stream event in short: `task:SUBMITTED`, `status:WORKING`, `artifact:<text>`. */
export function describeEvent(event: StreamResponse): string {
  const payload = event.payload;
  switch (payload?.$case) {
    case 'task':
      return `task:${stateName(payload.value.status?.state)}`;
    case 'statusUpdate':
      return `status:${stateName(payload.value.status?.state)}`;
    case 'artifactUpdate':
      return `artifact:${payload.value.artifact?.parts.map((p) => (p.content?.$case === 'text' ? p.content.value : JSON.stringify(p.content?.value))).join('|')}`;
    case 'message':
      return 'message';
    default:
      return 'unknown';
  }
}

const STATES = ['UNSPECIFIED', 'SUBMITTED', 'WORKING', 'COMPLETED', 'FAILED', 'CANCELED', 'INPUT_REQUIRED', 'REJECTED', 'AUTH_REQUIRED'];
export function stateName(state: number | undefined): string {
  return STATES[state ?? 0] ?? String(state);
}

/** The task (not a bare message) of a SendMessage answer. */
export function taskOf(result: unknown): { id: string; status?: { state: number }; artifacts: Array<{ parts: Array<{ content?: { $case: string; value: unknown } }> }>; metadata?: Record<string, unknown> } {
  const task = result as { id?: string; messageId?: string };
  if (task.messageId !== undefined || task.id === undefined) throw new Error(`expected a task, got ${JSON.stringify(result)}`);
  return result as ReturnType<typeof taskOf>;
}
