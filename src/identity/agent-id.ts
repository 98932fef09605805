import { z } from 'zod';

export const AgentIdSchema = z.object({
  display: z.string().min(1),
  pubkey: z.string().min(32),
});

export type AgentId = z.infer<typeof AgentIdSchema>;

export const DAEMON_DISPLAY = 'user@local';

/** Identity decisions compare public keys only; display names are for people. */
export function sameAgent(a: AgentId, b: AgentId): boolean {
  return a.pubkey === b.pubkey;
}
