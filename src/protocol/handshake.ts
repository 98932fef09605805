import { z } from 'zod';

/** Frames that belong to the connection itself rather than to a request kind. */
export const RequestIdSchema = z.union([z.string().max(128), z.number().int()]);
export type RequestId = z.infer<typeof RequestIdSchema>;

/** A message's usable `id`, or null (none, or one the schema refuses: it is dropped, not an error). */
export function requestIdOf(message: unknown): RequestId | null {
  if (typeof message !== 'object' || message === null) return null;
  const id = (message as { id?: unknown }).id;
  if (id === undefined) return null; // most requests: no parse, whose failure would build an error
  const parsed = RequestIdSchema.safeParse(id);
  return parsed.success ? parsed.data : null;
}

export const ProtocolInfoSchema = z.strictObject({
  protocol: z.string(),
  version: z.number().int(),
  min_supported: z.number().int(),
  max_supported: z.number().int(),
  daemon_version: z.string(),
});

export const ProtocolInfoRequestSchema = z.object({ kind: z.literal('protocol_info'), id: RequestIdSchema.optional() });
export const ProtocolInfoResponseSchema = z.strictObject({
  kind: z.literal('protocol_info'),
  id: RequestIdSchema.optional(),
  info: ProtocolInfoSchema,
});

export const AuthenticateRequestSchema = z.object({
  kind: z.literal('authenticate'),
  id: RequestIdSchema.optional(),
  token_b58: z.string().min(1).max(256),
});
export const AuthenticatedResponseSchema = z.strictObject({
  kind: z.literal('authenticated'),
  id: RequestIdSchema.optional(),
  display: z.string(),
  pubkey: z.string(),
});
export const AuthenticationFailedResponseSchema = z.strictObject({
  kind: z.literal('authentication_failed'),
  id: RequestIdSchema.optional(),
  reason: z.string(),
});

export const ErrorResponseSchema = z.strictObject({
  kind: z.literal('error'),
  id: RequestIdSchema.optional(),
  code: z.string().regex(/^E_[A-Z_]+$/),
  message: z.string(),
});

export const CONNECTION_MESSAGES = {
  requests: { protocol_info: ProtocolInfoRequestSchema, authenticate: AuthenticateRequestSchema },
  responses: {
    protocol_info: ProtocolInfoResponseSchema,
    authenticated: AuthenticatedResponseSchema,
    authentication_failed: AuthenticationFailedResponseSchema,
    error: ErrorResponseSchema,
  },
} as const;
