import { z } from 'zod';
import { BASE58_PREFIX } from '../../core/base58-pattern.js';
import { AgentIdViewSchema } from '../agent-id.js';
import { defineRequest } from '../request-definition.js';
import { PurgeCutoffParams, resolvePurgeCutoff } from './purge-cutoff.js';

const Base58Prefix = z.string().regex(BASE58_PREFIX, 'must be base58 (no 0, O, I or l)');

export const PeerViewSchema = z.strictObject({
  agent_id: AgentIdViewSchema,
  token_prefix: z.string(),
  registered_at: z.number().int(),
  revoked_at: z.number().int().nullable(),
});

export const peersAdd = defineRequest({
  kind: 'peers_add',
  summary: 'Register a new peer with its own keypair identity; its token is shown once.',
  params: z.object({ name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lowercase letters, digits, _ and -, up to 63 characters') }),
  response: z.strictObject({ kind: z.literal('peer_added'), agent_id: AgentIdViewSchema, token_b58: z.string() }),
  authorize: () => ({ action: null, operatorOnly: true }),
  http: { method: 'POST', path: '/peers/add' },
  mutates: true,
});

export const peersList = defineRequest({
  kind: 'peers_list',
  summary: 'List peers newest first, filtered before the limit.',
  params: z.object({
    limit: z.coerce.number().int().min(1).max(1000).default(20),
    prefix: Base58Prefix.optional(),
    status: z.enum(['all', 'live', 'revoked']).default('all'),
  }),
  response: z.strictObject({
    kind: z.literal('peer_list'),
    limit: z.number().int(),
    filter_pubkey_prefix: z.string().nullable(),
    status_filter: z.enum(['all', 'live', 'revoked']),
    matched_count: z.number().int(),
    truncated: z.boolean(),
    operator_pubkey_b58: z.string(),
    peers: z.array(PeerViewSchema),
  }),
  authorize: () => ({ action: 'peers.list', operatorPasses: true }),
  http: { method: 'GET', path: '/peers/list' },
  mutates: false,
});

export const peersRotate = defineRequest({
  kind: 'peers_rotate',
  summary: 'Mint and persist a new operator token, then revoke the old one.',
  params: z.object({}),
  response: z.strictObject({ kind: z.literal('operator_token_rotated'), old_prefix: z.string(), new_prefix: z.string(), token_b58: z.string() }),
  authorize: () => ({ action: null, operatorOnly: true }),
  http: { method: 'POST', path: '/peers/rotate' },
  mutates: true,
});

/**
 * How `peers revoke` matched what it was given (SPEC 8): a whole token by its hash; up to 6
 * characters as a prefix of the stored token prefix; a longer string that is not a whole token
 * on its first 6 characters, the only ones stored; with `by_pubkey` the peer's identity.
 */
export const RevokeMatchSchema = z.enum(['whole_token', 'token_prefix', 'stored_prefix', 'pubkey_prefix']);
export type RevokeMatch = z.infer<typeof RevokeMatchSchema>;

const RevokeOutcomeSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('revoked'),
    peer: PeerViewSchema,
    connections_closed: z.number().int(),
    matched_on: RevokeMatchSchema,
    message: z.string(),
  }),
  z.strictObject({ type: z.literal('already_revoked'), peer: PeerViewSchema, matched_on: RevokeMatchSchema, message: z.string() }),
  // The refusals carry the error code and message every other refusal has.
  z.strictObject({
    type: z.literal('not_found'),
    prefix: z.string(),
    matched_on: RevokeMatchSchema,
    code: z.literal('E_NOT_FOUND'),
    message: z.string(),
  }),
  z.strictObject({
    type: z.literal('ambiguous'),
    prefix: z.string(),
    matches: z.array(PeerViewSchema),
    truncated: z.boolean(),
    matched_on: RevokeMatchSchema,
    code: z.literal('E_AMBIGUOUS'),
    message: z.string(),
  }),
  z.strictObject({ type: z.literal('self_revoke_forbidden'), prefix: z.string(), code: z.literal('E_FORBIDDEN'), message: z.string() }),
]);

export const peersRevoke = defineRequest({
  kind: 'peers_revoke',
  summary: "Revoke a peer's token by the whole token, a token prefix or (by_pubkey) a pubkey prefix; its open connections close at once.",
  params: z.object({
    token_prefix: Base58Prefix,
    by_pubkey: z.boolean().default(false),
    force: z.boolean().default(false),
    limit_matches: z.coerce.number().int().min(1).max(100).default(10),
  }),
  response: z.strictObject({ kind: z.literal('peer_revoke'), outcome: RevokeOutcomeSchema }),
  authorize: () => ({ action: 'peers.revoke', operatorPasses: true }),
  http: { method: 'POST', path: '/peers/revoke' },
  mutates: true,
});

export const peersPurge = defineRequest({
  kind: 'peers_purge',
  summary: 'Remove revoked peers revoked before the cutoff.',
  params: z.object(PurgeCutoffParams),
  response: z.strictObject({ kind: z.literal('peers_purged'), before_ms: z.number().int(), purged: z.number().int() }),
  authorize: (params) => ({ action: 'peers.purge', facts: { before_ms: resolvePurgeCutoff(params) } }),
  http: { method: 'POST', path: '/peers/purge' },
  mutates: true,
});
