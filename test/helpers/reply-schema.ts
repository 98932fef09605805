import assert from 'node:assert/strict';
import type { z } from 'zod';
import { CONNECTION_MESSAGES, isRequestKind, replyFrameSchema, requestDefinition } from '../../src/protocol/index.js';

/** The strict schema a reply of kind `replyKind` to a `requestKind` request must parse with. */
export function replySchema(requestKind: string, replyKind: string): z.ZodType | null {
  if (Object.hasOwn(CONNECTION_MESSAGES.responses, replyKind)) {
    return CONNECTION_MESSAGES.responses[replyKind as keyof typeof CONNECTION_MESSAGES.responses];
  }
  return isRequestKind(requestKind) ? replyFrameSchema(requestDefinition(requestKind).response) : null;
}

/**
 * The development-time check that the daemon answers what the protocol declares: a test's reply
 * must parse with the strict response schema (an unknown or renamed field fails).
 */
export function assertReplyMatchesProtocol(request: { kind?: unknown }, reply: { kind?: unknown }): void {
  const schema = replySchema(String(request.kind), String(reply.kind));
  if (schema === null) return;
  const parsed = schema.safeParse(reply);
  assert.ok(parsed.success, `the ${String(reply.kind)} reply does not match the protocol's strict schema: ${parsed.success ? '' : parsed.error.message}`);
}
