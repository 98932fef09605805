import { shortId } from '../../core/id-prefix.js';
import { formatTime } from '../../core/human-time.js';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CliFailure, type CommandOutcome, type GlobalFlags } from '../output.js';
import type { ReceiptsRecentFlags } from '../register/settlement.js';
import { withProgress } from '../progress.js';
import { callDaemon } from '../session.js';

export async function receiptsRecentCommand(flags: GlobalFlags, options: ReceiptsRecentFlags): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, 'receipts_recent', {
    ...(options.limit === undefined ? {} : { limit: options.limit }),
    ...(options.sinceMs === undefined ? {} : { since_ms: options.sinceMs }),
    ...(options.resource === undefined ? {} : { resource: options.resource }),
    ...(options.status === undefined ? {} : { status: options.status }),
    ...(options.intent === undefined ? {} : { intent_id: options.intent }),
  });
  const { receipts } = reply;
  // The daemon answers newest first; lines read oldest to newest.
  const human =
    receipts.length === 0
      ? ['no receipts match']
      : [...receipts]
          .reverse()
          .map(
            (r) =>
              `${formatTime(r.settled_at)}\t${shortId(r.id)}\t${r.resource}\t${r.status}\t${r.credits_consumed} credit(s)\t${r.batch_id ? `batch ${r.batch_id}` : 'unbatched'}${r.intent_id ? `\tintent ${shortId(r.intent_id)}` : ''}`,
          );
  return { json: reply, human };
}

export async function receiptsProveCommand(flags: GlobalFlags, receiptId: string, options: { out?: string }): Promise<CommandOutcome> {
  const { proof } = await callDaemon(flags, 'receipts_prove', { receipt_id: receiptId });
  const document = { kind: 'receipt_proof', proof };
  if (options.out === undefined) {
    return { json: document, human: JSON.stringify(document, null, 2) };
  }
  const path = resolve(options.out);
  try {
    writeFileSync(path, `${JSON.stringify(document, null, 2)}\n`);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new CliFailure('E_BAD_REQUEST', `cannot write the proof to ${path} (${code}); pick a writable path for --out`);
  }
  return {
    json: { ...document, out: path },
    human: `proof of receipt ${receiptId} (leaf ${proof.index} of ${proof.batch.receipt_count} in batch ${proof.batch.batch_id}, root ${proof.merkle_root}) written to ${path}; check it with \`covenant receipts verify-proof ${path}\``,
  };
}

export async function chainStatusCommand(flags: GlobalFlags): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, 'chain_status', {});
  const { status } = reply;
  const human = [
    `backend ${status.backend}: ${status.ready ? 'ready' : 'NOT ready'}`,
    ...status.missing.map((m) => `  missing: ${m}`),
    `unbatched receipts: ${status.pending_receipts}`,
    status.last_batch
      ? `last batch ${status.last_batch.batch_id}: ${status.last_batch.receipt_count} receipt(s), root ${status.last_batch.merkle_root}, ${formatTime(status.last_batch.created_at)}`
      : 'no batch flushed yet',
  ];
  return { json: reply, human };
}

export async function chainFlushCommand(flags: GlobalFlags, options: { limit?: number }): Promise<CommandOutcome> {
  const flush = callDaemon(flags, 'chain_flush', options.limit === undefined ? {} : { limit: options.limit });
  const reply = await withProgress('flushing receipts', flush, { json: flags.json });
  const { batch } = reply;
  return {
    json: reply,
    human: `batched ${reply.receipts_updated} receipt(s) into ${batch.batch_id}, root ${batch.merkle_root}${batch.tx_sig ? `, tx ${batch.tx_sig}` : ''}`,
  };
}

export async function chainBatchesCommand(flags: GlobalFlags, options: { limit?: number }): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, 'chain_batches', options.limit === undefined ? {} : { limit: options.limit });
  const { batches } = reply;
  const human =
    batches.length === 0
      ? ['no receipt batches yet; the operator flushes with `covenant chain flush-receipts`']
      : batches.map(
          (b) => `${formatTime(b.created_at)}\t${b.batch_id}\t${b.receipt_count} receipt(s)\t${b.chain}\troot ${b.merkle_root}${b.tx_sig ? `\ttx ${b.tx_sig}` : ''}`,
        );
  return { json: reply, human };
}
