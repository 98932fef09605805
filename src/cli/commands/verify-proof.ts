/**
 * `covenant receipts verify-proof <file>`: offline. It reads the named file and checks it with
 * src/settlement/proof.ts; it never opens the daemon's socket and never reads a token.
 */
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ReceiptProofSchema } from '../../protocol/receipts.js';
import { verifyReceiptProof } from '../../settlement/proof.js';
import { CliFailure, type CommandOutcome } from '../output.js';

/** A proof is a few kilobytes; anything this big is not one. */
const MAX_PROOF_BYTES = 4 * 1024 * 1024;

function malformed(path: string, why: string): CliFailure {
  return new CliFailure('E_BAD_REQUEST', `${path} is not a receipt proof: ${why}; write one with \`covenant receipts prove <receipt-id> --out FILE\``);
}

export async function verifyProofCommand(file: string, options: { daemonPubkey?: string }): Promise<CommandOutcome> {
  const path = resolve(file);
  let text: string;
  try {
    if (statSync(path).size > MAX_PROOF_BYTES) throw malformed(path, `it is larger than ${MAX_PROOF_BYTES} bytes`);
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof CliFailure) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CliFailure('E_NOT_FOUND', `no file ${path}; check the path`);
    throw new CliFailure('E_BAD_REQUEST', `cannot read ${path} (${code ?? 'error'})`);
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw malformed(path, 'it is not JSON');
  }
  // Accept the file `prove --out` writes ({kind: "receipt_proof", proof}) or a bare proof object.
  const candidate =
    typeof document === 'object' && document !== null && (document as { kind?: unknown }).kind === 'receipt_proof'
      ? (document as { proof?: unknown }).proof
      : document;
  const parsed = ReceiptProofSchema.safeParse(candidate);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw malformed(path, issue ? `${issue.path.join('.') || 'proof'}: ${issue.message}` : 'it does not have the proof fields');
  }
  const verdict = verifyReceiptProof(parsed.data, options.daemonPubkey === undefined ? {} : { expectedPubkey: options.daemonPubkey });
  const human = verdict.valid
    ? [
        `proof valid: receipt ${verdict.receipt_id} is leaf ${parsed.data.index} of ${parsed.data.batch.receipt_count} in batch ${parsed.data.batch.batch_id}`,
        `  root ${verdict.merkle_root}, signed by daemon ${parsed.data.daemon_pubkey}${options.daemonPubkey ? ' (the key you named)' : ' (the key in the proof; pin it with --daemon-pubkey)'}`,
      ]
    : [`proof INVALID for receipt ${verdict.receipt_id}:`, ...verdict.failures.map((f) => `  ${f.check}: ${f.reason}`)];
  return { json: { kind: 'receipt_proof_verified', ...verdict }, human, exitCode: verdict.valid ? 0 : 1 };
}
