import { z } from 'zod';
import { defineRequest } from '../request-definition.js';

/** Federation (SPEC 10): remote daemons this one delivers `<agent>@<remote>` tasks to. */

/** Names a remote cannot take: they are the display suffixes of peers, agents and the daemon. */
export const RESERVED_REMOTE_NAMES = ['peer', 'agent', 'local'] as const;

export const RemoteName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lowercase letters, digits, _ and -, up to 63 characters')
  .refine((name) => !(RESERVED_REMOTE_NAMES as readonly string[]).includes(name), `a remote cannot be named ${RESERVED_REMOTE_NAMES.join(', ')}`);

export const RemoteViewSchema = z.strictObject({
  name: z.string(),
  url: z.string(),
  card_pubkey: z.string(),
  pinned_by: z.enum(['first_use', 'operator']),
  token_prefix: z.string(),
  added_at: z.number().int(),
  checked_at: z.number().int().nullable(),
  check_outcome: z.string().nullable(),
});
export type RemoteView = z.infer<typeof RemoteViewSchema>;

export const remotesAdd = defineRequest({
  kind: 'remotes_add',
  summary: 'Register a remote daemon: fetch its signed card and pin its key (trust on first use unless card_pubkey is given); the token is stored 0600.',
  params: z.object({
    name: RemoteName,
    url: z.url({ protocol: /^https?$/ }).max(2048),
    /** A token the remote minted with `covenant peers add`; stored 0600, never shown again. */
    token: z.string().trim().min(1, 'the token file is empty').max(512),
    card_pubkey: z.string().regex(/^[1-9A-HJ-NP-Za-km-z]{32,64}$/, 'a base58 ed25519 public key').optional(),
  }),
  response: z.strictObject({ kind: z.literal('remote_added'), remote: RemoteViewSchema }),
  authorize: () => ({ action: null, operatorOnly: true }),
  http: { method: 'POST', path: '/remotes/add' },
  mutates: true,
});

export const remotesList = defineRequest({
  kind: 'remotes_list',
  summary: 'The registered remote daemons with their pinned card keys.',
  params: z.object({}),
  response: z.strictObject({ kind: z.literal('remote_list'), remotes: z.array(RemoteViewSchema) }),
  authorize: () => ({ action: null, operatorOnly: true }),
  http: { method: 'GET', path: '/remotes/list' },
  mutates: false,
});

export const RemoteCheckSchema = z.strictObject({
  name: z.string(),
  url: z.string(),
  ok: z.boolean(),
  /** `ok`, `card_mismatch`, `unreachable`, `bad_card`. */
  outcome: z.string(),
  card_pubkey: z.string(),
  seen_pubkey: z.string().nullable(),
  message: z.string().nullable(),
});

export const remotesCheck = defineRequest({
  kind: 'remotes_check',
  summary: 'Fetch and verify the card of one remote (or every one) against its pinned key.',
  params: z.object({ name: RemoteName.optional() }),
  response: z.strictObject({ kind: z.literal('remotes_checked'), checks: z.array(RemoteCheckSchema) }),
  authorize: () => ({ action: null, operatorOnly: true }),
  http: { method: 'POST', path: '/remotes/check' },
  mutates: true,
});

export const remotesRemove = defineRequest({
  kind: 'remotes_remove',
  summary: 'Forget a remote and delete its token file; its undelivered tasks fail.',
  params: z.object({ name: RemoteName }),
  response: z.strictObject({ kind: z.literal('remote_removed'), name: z.string() }),
  authorize: () => ({ action: null, operatorOnly: true }),
  http: { method: 'POST', path: '/remotes/remove' },
  mutates: true,
});
