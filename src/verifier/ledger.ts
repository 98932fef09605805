/**
 * Recorded removals: which memory records were removed on purpose and which memory receipts
 * are marked for it. A record that is gone while an `intent_dispatched` row or a memory
 * receipt still names it is drift only when its removal is recorded nowhere.
 *
 * Evidence:
 * - `memory_tombstones` (src/memory: `memory purge` and the retention policy): one row per
 *   deleted record, naming its receipt. A tombstone accounts for the record and for every
 *   receipt whose id is its `receipt_id` or whose `memory_record_id` is its record. Receipt
 *   rows themselves are never rewritten (they are hashed into signed batches).
 * - `memory_repair_applied` audit rows (`covenant memory repair`): the `record_id` of a
 *   `delete`, and the `voided_receipt_ids` of any action.
 */
import type { ReceiptRow, StoreReader } from './reader.js';

export class RemovalLedger {
  private readonly records = new Set<string>();
  private readonly receipts = new Set<string>();
  private readonly tombstoneByRecord: ((id: string) => boolean) | null;
  private readonly tombstoneByReceipt: ((id: string) => boolean) | null;

  private constructor(reader: StoreReader) {
    for (const repair of reader.audit.appliedRepairs()) {
      if (repair.action === 'delete' && typeof repair.record_id === 'string') this.records.add(repair.record_id);
      for (const id of repair.voided_receipt_ids ?? []) this.receipts.add(id);
    }
    const tombstones = reader.memory.tombstones();
    this.tombstoneByRecord = tombstones?.byRecord ?? null;
    this.tombstoneByReceipt = tombstones?.byReceipt ?? null;
  }

  static load(reader: StoreReader): RemovalLedger {
    return new RemovalLedger(reader);
  }

  /** Was the removal of memory record `id` recorded (tombstone or delete repair)? */
  recordRemoved(id: string): boolean {
    return this.records.has(id) || (this.tombstoneByRecord?.(id) ?? false);
  }

  /** Is this receipt marked: voided by a repair, or accounted for by its record's tombstone? */
  receiptMarked(receipt: Pick<ReceiptRow, 'id' | 'memory_record_id'>): boolean {
    if (this.receipts.has(receipt.id)) return true;
    if (this.tombstoneByReceipt?.(receipt.id)) return true;
    return receipt.memory_record_id !== null && (this.tombstoneByRecord?.(receipt.memory_record_id) ?? false);
  }
}
