/** Settlement: receipts (batches, proofs and chain backends build on them). Other folders import only this file. */
export {
  Receipts,
  computeCredits,
  MS_PER_CREDIT,
  type Receipt,
  type NewReceipt,
} from './receipts.js';
export * from './merkle.js';
export * from './proof.js';
export * from './leaf-text.js';
export * from './backends.js';
export {
  compactU16,
  memoMessage,
  memoTransaction,
  batchMemo,
  loadSolanaKeypair,
  MEMO_PROGRAM_ID,
  SolanaBackend,
  type SolanaConfig,
} from './solana.js';
export * from './service.js';
