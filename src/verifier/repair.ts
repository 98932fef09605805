/**
 * Targeted repairs (SPEC 2): `memory_repair {action, id, reason, apply?}`, the request behind
 * `covenant memory repair <action> <id> --reason T [--apply]` and every `repair.command` the
 * verifier suggests.
 *
 * - `detach-parent <record>`: sets the record's parent to NULL.
 * - `delete <record>`: removes the record, detaches its children, marks its memory receipts.
 *   On an id that is gone but still named (by an `intent_dispatched` row, a memory receipt or
 *   a child's parent link) it records the loss the same way: marks the receipts, detaches the
 *   children, and its `memory_repair_applied` row records the removal. On a memory receipt id
 *   it marks that receipt (an orphan or a duplicate).
 * - `backfill-receipt <record>`: leaves the record with exactly one memory receipt, paid by
 *   its owner and settled not before it was created: it keeps a valid one (the one the record
 *   names first), or writes one (payer = owner, 0 credits, settled_at = created_at), links it
 *   as the record's receipt_id and marks every other memory receipt of the record.
 * - `backfill-audit <record|capability>`: writes the missing `intent_dispatched` (for a record
 *   written by dispatch) or `capability_granted` row, marked `backfilled: true`.
 *
 * A dry run (apply false) changes nothing and writes `memory_repair_planned`; an applied repair
 * writes its changes and `memory_repair_applied {action, id, reason, ...}` in one transaction.
 * An id nothing knows answers E_NOT_FOUND and changes nothing.
 *
 * Marking a receipt: receipt rows are never rewritten (their canonical form is hashed into
 * signed batches). The `memory_repair_applied` row lists the receipts it marks
 * (`voided_receipt_ids`), and the `record_id` whose removal it records; the verifier reads
 * both, as it reads the memory tombstones a purge leaves.
 */
import type { AuditLog, AuditPayload } from '../audit/index.js';
import { CovenantError, newId, type Clock } from '../core/index.js';
import type { AgentId } from '../identity/index.js';
import { Receipts } from '../settlement/index.js';
import type { Db } from '../store/index.js';
import { RemovalLedger } from './ledger.js';
import { StoreReader, type ReceiptRow } from './reader.js';
import type { MemoryRepairResult, RepairAction, RepairChange } from '../protocol/index.js';

export interface RepairDeps {
  db: Db;
  audit: AuditLog;
  clock: Clock;
}

export interface RepairInput {
  caller: AgentId;
  /**
   * Only the operator repairs anyone's records. Everyone else (holding memory.repair.*) repairs
   * only what is theirs: records they own, receipts they paid, capabilities granted to them;
   * anything else is answered exactly like a missing id.
   */
  callerIsOperator: boolean;
  action: RepairAction;
  id: string;
  reason: string;
  apply: boolean;
}

/** What a repair adds to its `memory_repair_*` row beyond action, id, reason and changes. */
type RepairFacts = Omit<AuditPayload<'memory_repair_applied'>, 'action' | 'id' | 'reason' | 'changes'>;

interface Plan {
  changes: RepairChange[];
  /** Writes the changes (inside the repair's transaction). */
  execute(): void;
  /** Extra facts for the audit row. */
  facts: RepairFacts;
}


export function memoryRepair(deps: RepairDeps, input: RepairInput): MemoryRepairResult {
  const reason = input.reason.trim();
  if (reason.length === 0) throw new CovenantError('E_BAD_REQUEST', 'a repair needs a reason: --reason "why this is being repaired"');
  return deps.db.transaction((): MemoryRepairResult => {
    const planner = new Planner(deps, input.caller, reason, input.callerIsOperator ? null : input.caller.pubkey);
    const plan = planner.plan(input.action, input.id);
    const base = { action: input.action, id: input.id, reason, changes: plan.changes.length };
    if (input.apply) {
      plan.execute();
      deps.audit.append(input.caller, { kind: 'memory_repair_applied', payload: { ...base, ...plan.facts } });
    } else {
      deps.audit.append(input.caller, { kind: 'memory_repair_planned', payload: { ...base, ...plan.facts } });
    }
    return {
      kind: 'memory_repair',
      action: input.action,
      id: input.id,
      applied: input.apply && plan.changes.length > 0,
      changes: plan.changes,
    };
  })();
}

class Planner {
  private readonly reader: StoreReader;

  constructor(
    private readonly deps: RepairDeps,
    private readonly caller: AgentId,
    private readonly reason: string,
    /** The pubkey whose things may be repaired; null: everything (the operator). */
    private readonly scope: string | null,
  ) {
    this.reader = new StoreReader(deps.db);
  }

  private mine(pubkey: string): boolean {
    return this.scope === null || pubkey === this.scope;
  }

  plan(action: RepairAction, id: string): Plan {
    switch (action) {
      case 'detach-parent':
        return this.detachParent(id);
      case 'delete':
        return this.delete(id);
      case 'backfill-receipt':
        return this.backfillReceipt(id);
      case 'backfill-audit':
        return this.backfillAudit(id);
    }
  }

  /** Does a record with this id exist (whoever owns it)? */
  private exists(id: string): boolean {
    return this.reader.memory.byIds([id]).has(id);
  }

  /** The record, when it exists and the caller may repair it; null when it does not exist; another owner's: not found. */
  private record(id: string) {
    const record = this.reader.memory.byIds([id]).get(id) ?? null;
    if (record && !this.mine(record.owner)) throw this.notFound(id, 'memory record');
    return record;
  }

  /** Memory receipts naming the record that the caller may mark. */
  private receiptsNaming(id: string): ReceiptRow[] {
    return (this.reader.memoryReceiptsFor([id]).get(id) ?? []).filter((r) => this.mine(r.payer));
  }

  private notFound(id: string, what: string): CovenantError {
    return new CovenantError('E_NOT_FOUND', `no ${what} has id ${id}; take the id from \`covenant verify --json\``);
  }

  private unmarked(receipts: readonly ReceiptRow[]): ReceiptRow[] {
    const ledger = RemovalLedger.load(this.reader);
    return receipts.filter((r) => !ledger.receiptMarked(r));
  }

  private voidChange(receipt: ReceiptRow, why: string): RepairChange {
    return { op: 'void_receipt', table: 'receipts', id: receipt.id, detail: `memory receipt marked: ${why}` };
  }

  private detachChange(child: string, parent: string): RepairChange {
    return { op: 'detach_parent', table: 'memory_records', id: child, detail: `parent ${parent} removed` };
  }

  // ---- detach-parent -------------------------------------------------------------------------

  private detachParent(id: string): Plan {
    const record = this.record(id);
    if (!record) throw this.notFound(id, 'memory record');
    if (record.parent === null) return { changes: [], execute: () => undefined, facts: { parent: null } };
    const parent = record.parent;
    return {
      changes: [this.detachChange(id, parent)],
      execute: () => this.reader.memory.detachParent(id),
      facts: { parent },
    };
  }

  // ---- delete --------------------------------------------------------------------------------

  private delete(id: string): Plan {
    const record = this.record(id);
    if (record) {
      const linked = record.receipt_id ? this.reader.receiptsByIds([record.receipt_id]).get(record.receipt_id) : undefined;
      const own = this.receiptsNaming(id);
      if (linked && linked.resource === 'memory' && this.mine(linked.payer) && !own.some((r) => r.id === linked.id)) own.push(linked);
      return this.removal(id, this.unmarked(own), true, () => this.reader.memory.deleteRecord(id));
    }

    const receipt = this.reader.receiptsByIds([id]).get(id);
    if (receipt && !this.mine(receipt.payer)) throw this.notFound(id, 'memory record or memory receipt');
    if (receipt) {
      if (receipt.resource !== 'memory') {
        throw new CovenantError('E_BAD_REQUEST', `receipt ${id} is a ${receipt.resource} receipt; memory repair only marks memory receipts`);
      }
      const recordId = receipt.memory_record_id;
      if (recordId !== null && !this.exists(recordId)) {
        // The receipt's record is gone: record that loss (this receipt included).
        const others = this.receiptsNaming(recordId);
        const all = others.some((r) => r.id === receipt.id) ? others : [receipt, ...others];
        return this.removal(recordId, this.unmarked(all), false, () => undefined);
      }
      const changes = this.unmarked([receipt]).map((r) =>
        this.voidChange(r, recordId === null ? 'it names no memory record' : `extra receipt of memory record ${recordId}`),
      );
      return {
        changes,
        execute: () => undefined, // the memory_repair_applied row marks it
        facts: { record_id: null, voided_receipt_ids: changes.map((c) => c.id) },
      };
    }

    // Gone, but still named somewhere (by something the caller may repair)?
    const receipts = this.receiptsNaming(id);
    const named =
      receipts.length > 0 ||
      (this.scope === null
        ? this.reader.audit.dispatchedFor([id]).has(id) || (this.reader.memory.childrenOf([id]).get(id) ?? []).length > 0
        : this.reader.audit.dispatchedFor([id], this.scope).has(id));
    if (!named) throw this.notFound(id, 'memory record, memory receipt or record named by an audit row, receipt or parent link');
    return this.removal(id, this.unmarked(receipts), false, () => undefined);
  }

  /** Removing record `id` (present or already gone): children detached, receipts marked, loss recorded. */
  private removal(id: string, receipts: ReceiptRow[], exists: boolean, remove: () => void): Plan {
    const children = (this.reader.memory.childrenOf([id]).get(id) ?? []).filter((child) => child !== id);
    const changes: RepairChange[] = [
      ...children.map((child) => this.detachChange(child, id)),
      ...receipts.map((r) => this.voidChange(r, `memory record ${id} ${exists ? 'deleted' : 'is gone'}`)),
    ];
    if (exists) changes.push({ op: 'delete_record', table: 'memory_records', id, detail: 'memory record deleted' });
    else changes.push({ op: 'insert_audit', table: 'audit_events', id, detail: 'memory_repair_applied records that memory record is gone' });
    return {
      changes,
      execute: () => {
        for (const child of children) this.reader.memory.detachParent(child);
        remove();
      },
      facts: { record_id: id, record_existed: exists, voided_receipt_ids: receipts.map((r) => r.id), children_detached: children },
    };
  }

  // ---- backfill-receipt ----------------------------------------------------------------------

  private backfillReceipt(id: string): Plan {
    const record = this.record(id);
    if (!record) throw this.notFound(id, 'memory record');
    const db = this.deps.db;
    const linked = record.receipt_id ? this.reader.receiptsByIds([record.receipt_id]).get(record.receipt_id) : undefined;
    const own = [...(this.reader.memoryReceiptsFor([id]).get(id) ?? [])];
    if (linked && linked.resource === 'memory' && !own.some((r) => r.id === linked.id)) own.push(linked);
    // The record is the caller's: every receipt of it is in scope (a wrong payer is what gets fixed).
    const mine = this.unmarked(own);
    const valid = mine
      .filter((r) => r.payer === record.owner && r.settled_at >= record.created_at)
      .sort((a, b) => a.settled_at - b.settled_at || (a.id < b.id ? -1 : 1));
    const keep = valid.find((r) => r.id === record.receipt_id) ?? valid[0] ?? null;
    const changes: RepairChange[] = [];
    const steps: Array<() => void> = [];
    let keepId = keep?.id ?? null;
    if (keepId === null) {
      const newIdValue = newId();
      keepId = newIdValue;
      changes.push({
        op: 'insert_receipt',
        table: 'receipts',
        id: newIdValue,
        detail: `memory receipt for ${id}: payer ${record.owner}, 0 credits, settled_at ${record.created_at}`,
      });
      steps.push(() =>
        new Receipts(db).insert({
          id: newIdValue,
          payer: record.owner,
          resource: 'memory',
          status: 'ok',
          credits_consumed: 0,
          settled_at: record.created_at,
          // Like every memory receipt it names the record, not an intent.
          intent_id: null,
          memory_record_id: id,
          failure_reason: null,
        }),
      );
    }
    if (record.receipt_id !== keepId) {
      const target = keepId;
      changes.push({ op: 'link_receipt', table: 'memory_records', id, detail: `receipt_id ${record.receipt_id ?? 'NULL'} -> ${target}` });
      steps.push(() => this.reader.memory.linkReceipt(id, target));
    }
    const voided = mine.filter((r) => r.id !== keepId);
    for (const receipt of voided) {
      const why =
        receipt.payer !== record.owner
          ? `paid by ${receipt.payer}, not the owner`
          : receipt.settled_at < record.created_at
            ? 'settled before the record was created'
            : `duplicate; ${keepId} is kept`;
      changes.push(this.voidChange(receipt, why));
    }
    return {
      changes,
      execute: () => steps.forEach((step) => step()),
      facts: { receipt_id: keepId, voided_receipt_ids: voided.map((r) => r.id) },
    };
  }

  // ---- backfill-audit ------------------------------------------------------------------------

  private backfillAudit(id: string): Plan {
    const record = this.record(id);
    if (record) {
      if (record.metadata.source !== 'dispatch') {
        throw new CovenantError(
          'E_CONFLICT',
          `memory record ${id} was not written by dispatch (metadata.source ${JSON.stringify(record.metadata.source ?? null)}); it has no intent_dispatched row to backfill`,
        );
      }
      if (this.reader.audit.dispatchedFor([id]).has(id)) return { changes: [], execute: () => undefined, facts: {} };
      const payload = {
        intent_id: typeof record.metadata.intent_id === 'string' ? record.metadata.intent_id : id,
        memory_record_id: id,
        receipt_id: typeof record.metadata.compute_receipt_id === 'string' ? record.metadata.compute_receipt_id : null,
        memory_receipt_id: record.receipt_id,
        agent: typeof record.metadata.agent === 'string' ? record.metadata.agent : null,
        owner: record.owner,
        created_at: record.created_at,
        backfilled: true as const,
        reason: this.reason,
      };
      return {
        changes: [{ op: 'insert_audit', table: 'audit_events', id, detail: 'intent_dispatched row backfilled' }],
        execute: () => void this.deps.audit.append(this.caller, { kind: 'intent_dispatched', payload: payload }),
        facts: { backfilled_kind: 'intent_dispatched' },
      };
    }
    const cap = this.reader.db
      .prepare('SELECT id, action, subject_display, subject_pubkey, scope, expires_at, parent_id, issued_at FROM capabilities WHERE id = ?')
      .get(id) as
      | { id: string; action: string; subject_display: string; subject_pubkey: string; scope: string; expires_at: number | null; parent_id: string | null; issued_at: number }
      | undefined;
    if (!cap || !this.mine(cap.subject_pubkey)) throw this.notFound(id, 'memory record or capability');
    if (this.reader.audit.grantedFor([id]).has(id)) return { changes: [], execute: () => undefined, facts: {} };
    let scope: {} | null = {};
    try {
      scope = JSON.parse(cap.scope);
    } catch {
      scope = null;
    }
    const payload = {
      id: cap.id,
      action: cap.action,
      subject: { display: cap.subject_display, pubkey: cap.subject_pubkey },
      scope,
      expires_at: cap.expires_at,
      parent_id: cap.parent_id,
      issued_at: cap.issued_at,
      backfilled: true as const,
      reason: this.reason,
    };
    return {
      changes: [{ op: 'insert_audit', table: 'audit_events', id, detail: 'capability_granted row backfilled' }],
      execute: () => void this.deps.audit.append(this.caller, { kind: 'capability_granted', payload: payload }),
      facts: { backfilled_kind: 'capability_granted' },
    };
  }
}
