import { z } from 'zod';
import { fromBase58, toBase58 } from '../core/index.js';
import { signBytes, verifySignature, type KeyPair } from '../identity/index.js';

/** A daemon-signed statement "the chain reached `chain_hash` at `seq`" (the audit head, a purge anchor). */
export const SignedMarkSchema = z.object({
  seq: z.number().int().nonnegative(),
  chain_hash: z.string().regex(/^[0-9a-f]{64}$/),
  timestamp_ms: z.number().int(),
  signature_b58: z.string().min(1),
});
export type SignedMark = z.infer<typeof SignedMarkSchema>;

type MessageFor = (seq: number, chain: string, timestampMs: number) => Buffer;

export function signMark(keys: KeyPair, message: MessageFor, seq: number, chain: string, timestampMs: number): SignedMark {
  const signature_b58 = toBase58(signBytes(keys, message(seq, chain, timestampMs)));
  return { seq, chain_hash: chain, timestamp_ms: timestampMs, signature_b58 };
}

export function markVerifies(mark: SignedMark, message: MessageFor, daemonPubkeyB58: string): boolean {
  const signature = fromBase58(mark.signature_b58);
  return signature !== null && verifySignature(daemonPubkeyB58, message(mark.seq, mark.chain_hash, mark.timestamp_ms), signature);
}
