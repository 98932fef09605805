import { z } from 'zod';

/** An agent as the wire shows it: a display name for people and the base58 pubkey that decides. */
export const AgentIdSchema = z.object({
  display: z.string().min(1),
  pubkey: z.string().min(32),
});

export type AgentId = z.infer<typeof AgentIdSchema>;

/** The same, as a reply shows it: nothing besides display and pubkey. */
export const AgentIdViewSchema = AgentIdSchema.strict();
