import { z } from 'zod';
import { canonicalJson, CovenantError, fromBase58, toBase58 } from '../core/index.js';
import { AgentIdSchema, signBytes, verifySignature, type AgentId, type KeyPair } from '../identity/index.js';
import { actionSyntaxError } from './actions.js';

/**
 * A signed capability (SPEC 5). The grantor's ed25519 key signs the UTF-8 bytes of the RFC 8785
 * canonical JSON of every field except `signature_b58`.
 */
export const CapabilitySchema = z.object({
  id: z.string().min(1),
  subject: AgentIdSchema,
  action: z.string().superRefine((action, ctx) => {
    const error = actionSyntaxError(action);
    if (error !== null) ctx.addIssue({ code: 'custom', message: error });
  }),
  scope: z.record(z.string(), z.unknown()),
  granted_by: AgentIdSchema,
  expires_at: z.number().int().nullable(),
  parent_id: z.string().min(1).nullable(),
  issued_at: z.number().int(),
  signature_b58: z.string().min(1),
});

export type Capability = z.infer<typeof CapabilitySchema>;
export type UnsignedCapability = Omit<Capability, 'signature_b58'>;

/** A stored capability: the signed capability plus when (if ever) it was revoked. */
export interface CapabilityRecord extends Capability {
  revoked_at: number | null;
}

function agent(id: AgentId): AgentId {
  return { display: id.display, pubkey: id.pubkey };
}

/** The exact signed fields, whatever else the object carries (e.g. `revoked_at`). */
export function signedContent(cap: UnsignedCapability): UnsignedCapability {
  return {
    id: cap.id,
    subject: agent(cap.subject),
    action: cap.action,
    scope: cap.scope,
    granted_by: agent(cap.granted_by),
    expires_at: cap.expires_at,
    parent_id: cap.parent_id,
    issued_at: cap.issued_at,
  };
}

/** The RFC 8785 canonical JSON of the capability without its signature: what its grantor signs. */
export function signingText(cap: UnsignedCapability): string {
  return canonicalJson(signedContent(cap));
}

/** UTF-8 of `signingText`. */
export function signingBytes(cap: UnsignedCapability): Buffer {
  return Buffer.from(signingText(cap), 'utf8');
}

/** Signs with the grantor's key; the key must be the one named in `granted_by`. */
export function signCapability(cap: UnsignedCapability, grantorKeys: KeyPair): Capability {
  if (grantorKeys.publicKeyB58 !== cap.granted_by.pubkey) {
    throw new CovenantError('E_INTERNAL', `signing key does not belong to grantor ${cap.granted_by.display}`);
  }
  const content = signedContent(cap);
  return { ...content, signature_b58: toBase58(signBytes(grantorKeys, signingBytes(content))) };
}

/** True when `signature_b58` is the grantor's (`granted_by.pubkey`) signature over the signed fields. */
export function verifyCapabilitySignature(cap: Capability): boolean {
  let message: Buffer;
  try {
    message = signingBytes(cap);
  } catch {
    return false;
  }
  const signature = fromBase58(cap.signature_b58);
  return signature !== null && verifySignature(cap.granted_by.pubkey, message, signature);
}
