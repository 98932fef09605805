/**
 * The daemon's A2A agent card (SPEC 10) and its JWS signature. The signature is a detached JWS
 * (RFC 7515, EdDSA with the daemon's ed25519 key) over the RFC 8785 canonical JSON of the card
 * without its `signatures` field, as the A2A specification describes card signing; the protected
 * header carries the key (`jwk`, and `kid` = its base58 form) so a remote can pin it.
 */
import { canonicalJson, fromBase58, toBase58 } from '../core/index.js';
import { signBytes, verifySignature, type KeyPair } from '../identity/index.js';
import type { InstalledAgent } from '../runtime/index.js';

export const A2A_RPC_PATH = '/a2a/v1';
export const AGENT_CARD_PATH = '/.well-known/agent-card.json';

export interface CardSignature {
  protected: string;
  signature: string;
  header?: Record<string, unknown>;
}

/** The card as served (A2A v1.0 field names). */
export interface AgentCardJson {
  name: string;
  description: string;
  version: string;
  supportedInterfaces: Array<{ url: string; protocolBinding: string; protocolVersion: string; tenant: string }>;
  provider: { organization: string; url: string };
  capabilities: { streaming: boolean; pushNotifications: boolean; extendedAgentCard: boolean };
  securitySchemes: Record<string, unknown>;
  securityRequirements: Array<Record<string, unknown>>;
  defaultInputModes: string[];
  defaultOutputModes: string[];
  skills: Array<{ id: string; name: string; description: string; tags: string[]; examples: string[]; inputModes: string[]; outputModes: string[]; securityRequirements: unknown[] }>;
  signatures: CardSignature[];
}

const b64url = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('base64url');

/** One skill per installed agent: its id, name, description and router keywords as tags. */
export function buildAgentCard(input: { baseUrl: string; version: string; agents: readonly InstalledAgent[] }): Omit<AgentCardJson, 'signatures'> {
  const rpc = `${input.baseUrl}${A2A_RPC_PATH}`;
  return {
    name: 'Covenant daemon',
    description: 'A Covenant daemon: tasks to its installed agents go through its A2A mailbox, with capability checks, audit rows and receipts.',
    version: input.version,
    supportedInterfaces: [
      { url: rpc, protocolBinding: 'JSONRPC', protocolVersion: '1.0', tenant: '' },
      { url: rpc, protocolBinding: 'JSONRPC', protocolVersion: '0.3', tenant: '' },
    ],
    provider: { organization: 'Covenant', url: input.baseUrl },
    capabilities: { streaming: true, pushNotifications: false, extendedAgentCard: false },
    securitySchemes: { bearer: { httpAuthSecurityScheme: { scheme: 'Bearer', description: 'a token minted with covenant peers add', bearerFormat: 'base58' } } },
    securityRequirements: [{ schemes: { bearer: { list: [] } } }],
    defaultInputModes: ['text/plain', 'application/json'],
    defaultOutputModes: ['text/plain', 'application/json'],
    skills: [...input.agents]
      .sort((a, b) => a.id.localeCompare(b.id))
      .map((agent) => ({
        id: agent.id,
        name: agent.manifest.agent.name,
        description: agent.manifest.agent.description ?? agent.manifest.agent.name,
        tags: agent.manifest.router.keywords ?? [],
        examples: [],
        inputModes: ['text/plain'],
        outputModes: ['text/plain'],
        securityRequirements: [],
      })),
  };
}

function signingInput(protectedB64: string, card: object): Buffer {
  // The signature covers everything but itself.
  const { signatures: _signatures, ...unsigned } = card as { signatures?: unknown };
  return Buffer.from(`${protectedB64}.${b64url(canonicalJson(unsigned))}`);
}

/** The card with its one signature by `keys`. */
export function signAgentCard(card: Omit<AgentCardJson, 'signatures'>, keys: KeyPair): AgentCardJson {
  const header = { alg: 'EdDSA', typ: 'JOSE', kid: keys.publicKeyB58, jwk: { kty: 'OKP', crv: 'Ed25519', x: b64url(keys.publicKey) } };
  const protectedB64 = b64url(JSON.stringify(header));
  const signature = signBytes(keys, signingInput(protectedB64, card));
  return { ...card, signatures: [{ protected: protectedB64, signature: b64url(signature) }] };
}

export type CardVerdict = { ok: true; pubkey: string } | { ok: false; reason: string };

/**
 * Checks a fetched card: one EdDSA signature over the card as received, by the key in its
 * header, and — when a pin is given — that key must be the pinned one. Anything else is refused.
 */
export function verifyAgentCard(card: unknown, pinnedPubkeyB58?: string): CardVerdict {
  if (typeof card !== 'object' || card === null || Array.isArray(card)) return { ok: false, reason: 'the card is not a JSON object' };
  const signatures = (card as { signatures?: unknown }).signatures;
  if (!Array.isArray(signatures) || signatures.length === 0) return { ok: false, reason: 'the card is not signed' };
  for (const entry of signatures as CardSignature[]) {
    if (typeof entry?.protected !== 'string' || typeof entry.signature !== 'string') continue;
    let header: { alg?: unknown; kid?: unknown; jwk?: { x?: unknown } };
    try {
      header = JSON.parse(Buffer.from(entry.protected, 'base64url').toString('utf8')) as typeof header;
    } catch {
      continue;
    }
    if (header.alg !== 'EdDSA' || typeof header.jwk?.x !== 'string') continue;
    const pubkey = toBase58(Buffer.from(header.jwk.x, 'base64url'));
    if (typeof header.kid === 'string' && header.kid !== pubkey) continue;
    if (!verifySignature(pubkey, signingInput(entry.protected, card), Buffer.from(entry.signature, 'base64url'))) {
      return { ok: false, reason: 'the card signature does not verify' };
    }
    if (pinnedPubkeyB58 !== undefined && fromBase58(pinnedPubkeyB58)?.equals(fromBase58(pubkey) ?? Buffer.alloc(0)) !== true) {
      return { ok: false, reason: `the card is signed by ${pubkey.slice(0, 8)}…, not by the pinned key ${pinnedPubkeyB58.slice(0, 8)}…` };
    }
    return { ok: true, pubkey };
  }
  return { ok: false, reason: 'the card has no EdDSA signature with its key' };
}
