import { z } from 'zod';
import { AuditEventSchema, auditRecent } from './requests/audit.js';

/**
 * `audit_follow` on the socket (SPEC 6 `audit recent --follow`): a push subscription, not a
 * request of the table. After one capability check (`audit.read`) the daemon answers
 * `audit_follow`, then pushes each matching row as `audit_event` as it is appended, until it
 * sends `stream_end` (stopping, or the token revoked) or the connection closes. The connection
 * takes no further requests.
 */
export const AUDIT_FOLLOW = 'audit_follow';

/** Backlog rows sent before the live ones when no `after_seq` is given. */
export const DEFAULT_FOLLOW_BACKLOG = 50;

export const AuditFollowParamsSchema = auditRecent.params.extend({
  /** How many of the newest matching rows to send first (0: none); ignored with after_seq. */
  limit: z.number().int().min(0).max(1000).optional(),
});

/** The answer: `head_seq` is the newest row when following began; a follower that reconnects asks for the rows after it (or after the last it saw). */
export const AuditFollowAckSchema = z.strictObject({ kind: z.literal('audit_follow'), head_seq: z.number().int() });
export type AuditFollowAck = z.infer<typeof AuditFollowAckSchema>;

export const AuditFollowPushSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('audit_event'), event: AuditEventSchema }),
  /** The daemon ends the stream: `E_SHUTTING_DOWN` (follow again once it is back), `E_AUTH_FAILED` (token revoked), ... */
  z.strictObject({ kind: z.literal('stream_end'), code: z.string(), message: z.string() }),
]);

export type AuditFollowParams = z.input<typeof AuditFollowParamsSchema>;
export type AuditFollowPush = z.infer<typeof AuditFollowPushSchema>;
