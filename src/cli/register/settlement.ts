import { Option, type Command } from 'commander';
import { action, jsonCommand } from '../action.js';
import { RECEIPT_RESOURCES, RECEIPT_STATUSES, type ReceiptResource, type ReceiptStatus } from '../../protocol/constants.js';
import { base58Prefix, wholeNumber } from '../parsers.js';

// Settlement receipts and chain gates (SPEC 15, docs/settlement.md).
const load = () => import('../commands/settlement.js');
// verify-proof runs offline: its module imports no socket or token code.
const loadVerify = () => import('../commands/verify-proof.js');

export interface ReceiptsRecentFlags {
  limit?: number;
  sinceMs?: number;
  resource?: ReceiptResource;
  status?: ReceiptStatus;
  intent?: string;
}

export function registerReceiptCommands(program: Command): void {
  const receipts = program.command('receipts').description('settlement receipts: list, prove, verify proofs offline');
  jsonCommand(receipts, 'recent', 'recent receipts: yours, or every receipt for the operator (needs chain.receipts)')
    .option('-n, --limit <n>', 'how many receipts, the newest ones (1-1000, default 50)', wholeNumber(1, 1000))
    .option('--since-ms <ms>', 'only receipts settled at or after this epoch-ms time', wholeNumber())
    .addOption(new Option('--resource <resource>', 'only receipts for this resource').choices(RECEIPT_RESOURCES))
    .addOption(new Option('--status <status>', 'only receipts with this status').choices(RECEIPT_STATUSES))
    .option('--intent <id>', 'only receipts of this intent id (or a unique prefix of it)')
    .action(action(async (flags, options: ReceiptsRecentFlags) => (await load()).receiptsRecentCommand(flags, options)));

  jsonCommand(receipts, 'prove', 'print a Merkle inclusion proof of one of your batched receipts (needs chain.receipts)')
    .argument('<receipt-id>', 'a receipt id from `covenant receipts recent` (any unique prefix of it)')
    .option('--out <file>', 'write the proof JSON to this file (the only file this command writes)')
    .addHelpText(
      'after',
      `
The receipt must be in a batch: the operator batches receipts with \`covenant chain flush-receipts\`.
Without --out the proof JSON is printed; either way \`covenant receipts verify-proof <file>\` checks it
offline.
`,
    )
    .action(action(async (flags, receiptId: string, options: { out?: string }) => (await load()).receiptsProveCommand(flags, receiptId, options)));

  jsonCommand(receipts, 'verify-proof', 'check a receipt proof file offline (no daemon, no token); exit 1 when invalid')
    .argument('<file>', 'a proof written by `covenant receipts prove --out FILE` (or its --json output)')
    .option('--daemon-pubkey <pubkey>', 'also require the batch to be signed by this daemon key (base58)', base58Prefix)
    .addHelpText(
      'after',
      `
Checks the leaf hash recomputed from the receipt, the Merkle path from that leaf to the batch root,
and the daemon's ed25519 signature over the batch. Without --daemon-pubkey the signature is checked
against the key the proof carries, which shows the proof is intact, not whose daemon signed it.
`,
    )
    .action(action(async (_flags, file: string, options: { daemonPubkey?: string }) => (await loadVerify()).verifyProofCommand(file, options)));
}

export function registerChainCommands(program: Command): void {
  const chain = program.command('chain').description('receipt batches and the chain backend');
  jsonCommand(chain, 'status', 'the chain backend, its readiness, unbatched receipts and the last batch (needs chain.receipts)').action(
    action(async (flags) => (await load()).chainStatusCommand(flags)),
  );
  jsonCommand(chain, 'flush-receipts', 'batch unbatched receipts into a signed Merkle batch (operator; needs chain.flush)')
    .option('-n, --limit <n>', 'batch at most this many receipts, the oldest first (1-10000, default 10000)', wholeNumber(1, 10_000))
    .action(action(async (flags, options: { limit?: number }) => (await load()).chainFlushCommand(flags, options)));
  jsonCommand(chain, 'receipt-batches', 'flushed receipt batches, newest first (needs chain.batches)')
    .option('-n, --limit <n>', 'how many batches (1-1000, default 20)', wholeNumber(1, 1000))
    .action(action(async (flags, options: { limit?: number }) => (await load()).chainBatchesCommand(flags, options)));
}
