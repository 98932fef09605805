import { readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { fsyncDir, writePrivateFile } from '../home/index.js';
import type { Db } from '../store/index.js';
import { headMessage } from './hashing.js';
import { markVerifies, SignedMarkSchema, type SignedMark } from './signed-mark.js';

/**
 * The signed audit head: the newest seq and chain hash the daemon has signed, kept in a file
 * next to covenant.db and outside it, so an edit of the database alone cannot move it back.
 */
export const AUDIT_HEAD_FILE = 'audit.head';
const TMP_PREFIX = `${AUDIT_HEAD_FILE}.tmp-`;

const HeadFileSchema = SignedMarkSchema.extend({ kind: z.literal('audit_head') });

export type HeadRead =
  | { state: 'absent' }
  | { state: 'invalid'; seq: number; reason: string }
  | { state: 'valid'; head: SignedMark };

/** Where the head of the database `db` lives; null for an in-memory or temporary database. */
export function auditHeadPath(db: Db): string | null {
  if (db.memory || db.name === '' || db.name === ':memory:') return null;
  return join(dirname(db.name), AUDIT_HEAD_FILE);
}

export function readAuditHead(path: string | null, daemonPubkeyB58: string): HeadRead {
  if (path === null) return { state: 'absent' };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'absent' };
    return { state: 'invalid', seq: 0, reason: `the signed audit head (${AUDIT_HEAD_FILE}) cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  let parsed: z.infer<typeof HeadFileSchema>;
  try {
    parsed = HeadFileSchema.parse(JSON.parse(text));
  } catch {
    return { state: 'invalid', seq: 0, reason: `the signed audit head (${AUDIT_HEAD_FILE}) is not a valid head record (it was edited or replaced)` };
  }
  const head: SignedMark = { seq: parsed.seq, chain_hash: parsed.chain_hash, timestamp_ms: parsed.timestamp_ms, signature_b58: parsed.signature_b58 };
  if (!markVerifies(head, headMessage, daemonPubkeyB58)) {
    return { state: 'invalid', seq: head.seq, reason: `the signed audit head (${AUDIT_HEAD_FILE}) signature does not verify against the daemon key` };
  }
  return { state: 'valid', head };
}

/** Replaces the head atomically: a crash leaves either the old head or the new one, never a torn file. */
export function writeAuditHead(path: string, head: SignedMark): void {
  writePrivateFile(path, `${JSON.stringify({ kind: 'audit_head', ...head })}\n`);
  fsyncDir(dirname(path));
}

/** Removes temporary head files a killed writer left behind (they hold nothing secret). */
export function removeStaleHeadTemps(path: string): void {
  try {
    for (const name of readdirSync(dirname(path))) {
      if (name.startsWith(TMP_PREFIX)) unlinkSync(join(dirname(path), name));
    }
  } catch {
    // best effort: a leftover is harmless
  }
}
