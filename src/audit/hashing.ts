import { canonicalJson, sha256Hex } from '../core/index.js';
import type { AgentId } from '../identity/index.js';

export const GENESIS_CHAIN_HASH = '0'.repeat(64);

export interface AuditRowContent {
  seq: number;
  id: string;
  timestamp_ms: number;
  issuer: AgentId;
  kind: string;
  payload: unknown;
}

/** SHA-256 over the RFC 8785 canonical form of the row (without its hashes). */
export function eventHash(row: AuditRowContent): string {
  return sha256Hex(canonicalJson(row));
}

/** SHA-256 over the 32 raw bytes of the previous chain hash followed by the 32 of the event hash. */
export function chainHash(previousChainHash: string, event: string): string {
  // One 64-byte buffer and a one-shot hash: half the time of a Hash object fed twice.
  return sha256Hex(Buffer.from(previousChainHash + event, 'hex'));
}

/** The bytes a checkpoint signature covers. */
export function checkpointMessage(seq: number, chain: string, timestampMs: number): Buffer {
  return Buffer.from(canonicalJson({ kind: 'audit_checkpoint', seq, chain_hash: chain, timestamp_ms: timestampMs }));
}

/** The bytes the signed audit head covers (its own domain: a checkpoint signature cannot pass as a head). */
export function headMessage(seq: number, chain: string, timestampMs: number): Buffer {
  return Buffer.from(canonicalJson({ kind: 'audit_head', seq, chain_hash: chain, timestamp_ms: timestampMs }));
}

/** The bytes a purge anchor signature covers (its own domain: a checkpoint cannot pass as a purge cut). */
export function purgeAnchorMessage(seq: number, chain: string, timestampMs: number): Buffer {
  return Buffer.from(canonicalJson({ kind: 'audit_purge_anchor', seq, chain_hash: chain, timestamp_ms: timestampMs }));
}
