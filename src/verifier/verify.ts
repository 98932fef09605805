/**
 * The state verifier (SPEC 2): read-only drift checks across memory records, receipts,
 * capabilities and the audit log. See docs/verifier.md for the rules.
 *
 * Window: the newest N rows of each store are checked (memory records by created_at,
 * receipts by settled_at, capabilities by issued_at, audit rows by seq); the rows they name
 * are looked up wherever they are. The audit chain and SQLite's integrity check always cover
 * everything.
 *
 * One fault gives exactly one drift item. Where one fault breaks two invariants the verifier
 * reports it once, under the item whose repair fixes the most:
 * - a deleted (or edited) audit row breaks the hash chain and leaves a record or grant without
 *   its audit row: reported as `memory_without_audit` / `capability_without_audit` (the chain
 *   failure is named in its message), because the chain failure itself has no repair;
 * - a memory record that vanished leaves its `intent_dispatched` row, its memory receipt and
 *   its children's parent links dangling: reported once, as `audit_without_memory` (else as
 *   `receipt_without_memory_record`), whose `delete` repair records the loss, marks the
 *   receipts and detaches the children;
 * - an `intent_dispatched` row that fails its own hash proves nothing about memory: it is left
 *   to the audit chain check.
 */
import { verifyAuditChain } from '../audit/index.js';
import { latestSchemaVersion, schemaVersion, type Db } from '../store/index.js';
import { manualRepair, targetedRepair } from './commands.js';
import { RemovalLedger } from './ledger.js';
import { StoreReader, type MemoryRow, type ReceiptRow } from './reader.js';
import {
  DEFAULT_VERIFY_WINDOW,
  DRIFT_KINDS,
  MAX_VERIFY_WINDOW,
  VERIFY_CHECKS,
  type CheckResult,
  type DriftItem,
  type DriftKind,
  type Repair,
  type VerifyCheckName,
  type VerifyReport,
} from '../protocol/index.js';

export interface VerifyDeps {
  db: Db;
  /** The daemon's key: audit checkpoints are verified against it. */
  daemonPubkeyB58: string;
}

/** The longest parent chain followed when looking for cycles. */
export const MAX_PARENT_WALK = 100_000;

const AUDIT_VERIFY_COMMAND = 'covenant audit verify --json';
const DOCTOR_COMMAND = 'covenant doctor --json';

function reasonFor(kind: DriftKind): string {
  return `covenant verify: ${kind}`;
}

function item(kind: DriftKind, id: string | undefined, message: string, repair: Repair): DriftItem {
  return { kind, check: DRIFT_KINDS[kind], ...(id === undefined ? {} : { id }), message, repair };
}

function iso(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms);
}

/** A place where the audit chain fails, with the span of time the damaged rows were written in. */
interface ChainBreak {
  seq: number;
  rowId: string | null;
  reasons: string[];
  /** The latest time a missing or changed row can have been written. */
  to: number;
  /** A row-level failure (a gap, a changed row); a bad checkpoint explains no missing row. */
  rowLevel: boolean;
  explainedBy: string | null;
}

interface WithoutAudit {
  kind: 'memory_without_audit' | 'capability_without_audit';
  id: string;
  at: number;
  message: string;
}

class Findings {
  readonly items: DriftItem[] = [];
  readonly counts = new Map<VerifyCheckName, { read: string; failed: boolean; note: string[] }>();

  add(drift: DriftItem): void {
    this.items.push(drift);
  }

  note(check: VerifyCheckName, read: string, note?: string, failed = false): void {
    const entry = this.counts.get(check) ?? { read, failed: false, note: [] };
    entry.read = read;
    if (note) entry.note.push(note);
    if (failed) entry.failed = true;
    this.counts.set(check, entry);
  }
}

export function resolveWindow(window: number | undefined): number {
  const value = window ?? DEFAULT_VERIFY_WINDOW;
  if (!Number.isSafeInteger(value) || value < 1 || value > MAX_VERIFY_WINDOW) {
    throw new RangeError(`window must be a whole number from 1 to ${MAX_VERIFY_WINDOW}`);
  }
  return value;
}

/** Runs every check over the newest `window` rows of each store. Reads only. */
export function verifyState(deps: VerifyDeps, options: { window?: number } = {}): VerifyReport {
  const window = resolveWindow(options.window);
  const reader = new StoreReader(deps.db);
  const run = () => new Verification(reader, deps.daemonPubkeyB58, window).run();
  // One read transaction: every check sees the same snapshot of the database.
  const report = deps.db.inTransaction ? run() : deps.db.transaction(run).deferred();
  return report;
}

class Verification {
  private readonly findings = new Findings();
  private readonly ledger: RemovalLedger;
  private readonly horizon: number | null;
  private readonly memories: MemoryRow[];
  private readonly breaks: ChainBreak[] = [];
  private readonly brokenSeqs = new Set<number>();
  private chainValid = true;
  private chainSummary = '';

  constructor(
    private readonly reader: StoreReader,
    private readonly daemonPubkeyB58: string,
    private readonly window: number,
  ) {
    this.ledger = RemovalLedger.load(reader);
    this.horizon = reader.audit.horizon();
    this.memories = reader.memory.newest(window);
  }

  run(): VerifyReport {
    this.readAuditChain();
    const withoutAudit: WithoutAudit[] = [];
    const lostRecords = new Map<string, DriftItem>();
    this.memoryAudit(withoutAudit, lostRecords);
    this.capabilityAudit(withoutAudit);
    const orphanReceipts = this.memoryReceipts(lostRecords);
    this.memoryParents(lostRecords, orphanReceipts);
    this.placeWithoutAudit(withoutAudit);
    this.auditChain();
    this.storeIntegrity();
    return this.report();
  }

  private excusedByAuditPurge(at: number): boolean {
    return this.horizon !== null && at <= this.horizon;
  }

  private receiptMarked(receipt: ReceiptRow): boolean {
    return this.ledger.receiptMarked(receipt);
  }

  // ---- audit chain (read first: other checks place their findings against it) --------------

  private readAuditChain(): void {
    const report = verifyAuditChain(this.reader.db, this.daemonPubkeyB58);
    this.chainValid = report.valid;
    this.chainSummary = `${report.events} rows, ${report.checkpoints} checkpoints`;
    const bySeq = new Map<number, string[]>();
    for (const failure of report.failures) bySeq.set(failure.seq, [...(bySeq.get(failure.seq) ?? []), failure.reason]);
    for (const [seq, reasons] of [...bySeq].sort((a, b) => a[0] - b[0])) {
      const times = this.reader.audit.neighbourTimes(seq);
      const gap = reasons.some((r) => r.startsWith('sequence gap') || r.startsWith('rows before seq'));
      // A gap: the missing rows were written before this one. Otherwise this row (or the one
      // before it) was changed: it was written before the row after it.
      const to = gap ? (times.own ?? times.after ?? Number.POSITIVE_INFINITY) : (times.after ?? Number.POSITIVE_INFINITY);
      const rowLevel = reasons.some((r) => !r.startsWith('checkpoint'));
      this.breaks.push({ seq, rowId: times.id, reasons, to, rowLevel, explainedBy: null });
      if (rowLevel) this.brokenSeqs.add(seq);
    }
  }

  // ---- memory_audit --------------------------------------------------------------------------

  private memoryAudit(withoutAudit: WithoutAudit[], lostRecords: Map<string, DriftItem>): void {
    const dispatchWritten = this.memories.filter((m) => m.metadata.source === 'dispatch');
    const dispatched = this.reader.audit.dispatchedFor(dispatchWritten.map((m) => m.id));
    let excused = 0;
    for (const record of dispatchWritten) {
      if (dispatched.has(record.id)) continue;
      if (this.excusedByAuditPurge(record.created_at)) {
        excused += 1;
        continue;
      }
      withoutAudit.push({
        kind: 'memory_without_audit',
        id: record.id,
        at: record.created_at,
        message: `memory record ${record.id} (${record.tier}, written by dispatch at ${iso(record.created_at)}) has no intent_dispatched audit row`,
      });
    }

    // Back: intent_dispatched rows among the newest audit rows must name a record that exists
    // or whose removal is recorded.
    const rows = this.reader.audit.dispatchedInNewest(this.window).filter((row) => !this.brokenSeqs.has(row.seq));
    const named = new Map<string, { seq: number; at: number }>();
    for (const row of rows) {
      if (row.record_id === null || named.has(row.record_id)) continue;
      named.set(row.record_id, { seq: row.seq, at: row.timestamp_ms });
    }
    const existing = this.reader.memory.byIds([...named.keys()]);
    const missing = [...named.keys()].filter((id) => !existing.has(id));
    const receipts = this.reader.memoryReceiptsFor(missing);
    for (const id of missing) {
      const row = named.get(id)!;
      const own = receipts.get(id) ?? [];
      if (own.some((r) => this.receiptMarked(r))) continue;
      if (this.ledger.recordRemoved(id)) continue;
      const drift = item(
        'audit_without_memory',
        id,
        `intent_dispatched row seq ${row.seq} names memory record ${id}, which is gone; no purge, compaction or repair records its removal and no receipt of it is marked`,
        targetedRepair('delete', id, reasonFor('audit_without_memory'), true),
      );
      lostRecords.set(id, drift);
      this.findings.add(drift);
    }
    this.findings.note(
      'memory_audit',
      `${dispatchWritten.length} dispatch-written memory records and ${rows.length} intent_dispatched rows checked` +
        (excused > 0 ? ` (${excused} older than the audit purge horizon skipped)` : ''),
    );
  }

  // ---- capability_audit ----------------------------------------------------------------------

  private capabilityAudit(withoutAudit: WithoutAudit[]): void {
    const caps = this.reader.newestCapabilities(this.window);
    const granted = this.reader.audit.grantedFor(caps.map((c) => c.id));
    let excused = 0;
    for (const cap of caps) {
      if (granted.has(cap.id)) continue;
      if (this.excusedByAuditPurge(cap.issued_at)) {
        excused += 1;
        continue;
      }
      withoutAudit.push({
        kind: 'capability_without_audit',
        id: cap.id,
        at: cap.issued_at,
        message: `capability ${cap.id} (${cap.action} for ${cap.subject_display}, issued ${iso(cap.issued_at)}) has no capability_granted audit row`,
      });
    }
    this.findings.note(
      'capability_audit',
      `${caps.length} capabilities checked` + (excused > 0 ? ` (${excused} older than the audit purge horizon skipped)` : ''),
    );
  }

  /**
   * Places each record or grant without its audit row against the chain failures: its row was
   * written in its transaction, at or after the record (a request's check rows may come first,
   * so the row before a gap can be younger than the record), so the first failure whose span
   * ends at or after the record is where its row went, and the one drift item reports both.
   */
  private placeWithoutAudit(withoutAudit: WithoutAudit[]): void {
    for (const entry of withoutAudit) {
      const hit = this.breaks.find((b) => b.rowLevel && entry.at <= b.to);
      let message = entry.message;
      if (hit) {
        hit.explainedBy ??= `${entry.kind} ${entry.id}`;
        message += `; the audit chain fails at seq ${hit.seq} (${hit.reasons.join('; ')}), where that row was: it was deleted or altered, and the chain keeps that evidence`;
      }
      this.findings.add(item(entry.kind, entry.id, message, targetedRepair('backfill-audit', entry.id, reasonFor(entry.kind), true)));
    }
  }

  // ---- memory_receipts -----------------------------------------------------------------------

  /** Returns orphan memory receipts by the missing record id they name. */
  private memoryReceipts(lostRecords: Map<string, DriftItem>): Map<string, DriftItem> {
    const ids = this.memories.map((m) => m.id);
    const byRecord = this.reader.memoryReceiptsFor(ids);
    const linked = this.reader.receiptsByIds(this.memories.flatMap((m) => (m.receipt_id ? [m.receipt_id] : [])));
    for (const record of this.memories) {
      const mine = (byRecord.get(record.id) ?? []).filter((r) => !this.receiptMarked(r));
      const link = record.receipt_id ? linked.get(record.receipt_id) : undefined;
      if (link && link.resource === 'memory' && !this.receiptMarked(link) && !mine.some((r) => r.id === link.id)) mine.push(link);
      const drift = this.receiptDrift(record, mine, link);
      if (drift) this.findings.add(drift);
    }

    // Memory receipts among the newest receipts must pay for a record that exists (or whose
    // removal is recorded).
    const recent = this.reader.newestReceipts(this.window);
    const allMemoryReceipts = recent.filter((r) => r.resource === 'memory');
    const memoryReceipts = allMemoryReceipts.filter((r) => !this.receiptMarked(r));
    const marked = allMemoryReceipts.length - memoryReceipts.length;
    const existing = this.reader.memory.byIds(memoryReceipts.flatMap((r) => (r.memory_record_id ? [r.memory_record_id] : [])));
    const linkedBack = this.reader.memory.byReceiptIds(memoryReceipts.map((r) => r.id));
    const orphans = new Map<string, DriftItem>();
    for (const receipt of memoryReceipts) {
      const recordId = receipt.memory_record_id;
      if (recordId !== null && existing.has(recordId)) continue;
      if (linkedBack.has(receipt.id)) continue;
      if (this.excusedByAuditPurge(receipt.settled_at)) continue;
      if (recordId !== null && this.ledger.recordRemoved(recordId)) continue;
      if (recordId !== null && lostRecords.has(recordId)) continue; // reported once, as audit_without_memory
      if (recordId !== null && orphans.has(recordId)) continue;
      const drift = item(
        'receipt_without_memory_record',
        receipt.id,
        recordId === null
          ? `memory receipt ${receipt.id} (settled ${iso(receipt.settled_at)}) names no memory record`
          : `memory receipt ${receipt.id} (settled ${iso(receipt.settled_at)}) names memory record ${recordId}, which is gone; no purge, compaction or repair records its removal`,
        targetedRepair('delete', recordId ?? receipt.id, reasonFor('receipt_without_memory_record'), true),
      );
      orphans.set(recordId ?? receipt.id, drift);
      this.findings.add(drift);
    }
    this.findings.note(
      'memory_receipts',
      `${this.memories.length} memory records and ${allMemoryReceipts.length} memory receipts checked` +
        (marked > 0 ? ` (${marked} marked for removed records)` : ''),
    );
    return orphans;
  }

  private receiptDrift(record: MemoryRow, mine: ReceiptRow[], link: ReceiptRow | undefined): DriftItem | null {
    const id = record.id;
    const nonMemoryLink = link !== undefined && link.resource !== 'memory';
    if (mine.length === 0) {
      if (nonMemoryLink) {
        return item(
          'memory_receipt_resource_mismatch',
          id,
          `memory record ${id} is paid by receipt ${link.id} of resource ${link.resource}; a memory record needs a receipt of resource memory`,
          targetedRepair('backfill-receipt', id, reasonFor('memory_receipt_resource_mismatch'), true),
        );
      }
      const dangling = record.receipt_id && !link ? ` (its receipt_id ${record.receipt_id} names no receipt)` : '';
      return item(
        'memory_without_receipt',
        id,
        `memory record ${id} (${record.tier}, created ${iso(record.created_at)}) has no memory receipt${dangling}`,
        targetedRepair('backfill-receipt', id, reasonFor('memory_without_receipt'), true),
      );
    }
    if (mine.length > 1) {
      return item(
        'memory_receipt_duplicate',
        id,
        `memory record ${id} has ${mine.length} memory receipts (${mine.map((r) => r.id).join(', ')}); it must have exactly one. The repair keeps one and marks the others`,
        targetedRepair('backfill-receipt', id, reasonFor('memory_receipt_duplicate'), false),
      );
    }
    const receipt = mine[0]!;
    if (nonMemoryLink) {
      return item(
        'memory_receipt_resource_mismatch',
        id,
        `memory record ${id} names receipt ${link.id} of resource ${link.resource} instead of its memory receipt ${receipt.id}`,
        targetedRepair('backfill-receipt', id, reasonFor('memory_receipt_resource_mismatch'), true),
      );
    }
    if (receipt.payer !== record.owner) {
      return item(
        'memory_receipt_owner_mismatch',
        id,
        `memory record ${id} is owned by ${record.owner} but its receipt ${receipt.id} is paid by ${receipt.payer}`,
        targetedRepair('backfill-receipt', id, reasonFor('memory_receipt_owner_mismatch'), false),
      );
    }
    if (receipt.settled_at < record.created_at) {
      return item(
        'memory_receipt_settled_before_created',
        id,
        `memory record ${id} was created ${iso(record.created_at)} but its receipt ${receipt.id} settled earlier, ${iso(receipt.settled_at)}`,
        targetedRepair('backfill-receipt', id, reasonFor('memory_receipt_settled_before_created'), false),
      );
    }
    return null;
  }

  // ---- memory_parents ------------------------------------------------------------------------

  private memoryParents(lostRecords: Map<string, DriftItem>, orphanReceipts: Map<string, DriftItem>): void {
    const withParent = this.memories.filter((m) => m.parent !== null);
    const parents = this.reader.memory.byIds(withParent.map((m) => m.parent as string));
    let covered = 0;
    for (const record of withParent) {
      const parent = record.parent as string;
      if (parents.has(parent)) continue;
      const owner = lostRecords.get(parent) ?? orphanReceipts.get(parent);
      if (owner) {
        // The parent vanished without a trace: one item reports it, and its `delete` repair
        // detaches the children too.
        covered += 1;
        if (!owner.message.includes('still name it as parent')) {
          owner.message += `; memory records still name it as parent (the repair detaches them)`;
        }
        continue;
      }
      this.findings.add(
        item(
          'memory_stale_parent',
          record.id,
          `memory record ${record.id} names parent ${parent}, which does not exist`,
          targetedRepair('detach-parent', record.id, reasonFor('memory_stale_parent'), true),
        ),
      );
    }

    const cycles = this.findCycles();
    for (const cycle of cycles) {
      const target = this.cycleTarget(cycle);
      this.findings.add(
        item(
          'memory_parent_cycle',
          target,
          `memory records form a parent cycle: ${[...cycle, cycle[0]].join(' -> ')}; detaching ${target}, whose parent is not older than itself, breaks it`,
          targetedRepair('detach-parent', target, reasonFor('memory_parent_cycle'), false),
        ),
      );
    }
    this.findings.note(
      'memory_parents',
      `${withParent.length} parent link(s) checked` + (covered > 0 ? ` (${covered} dangling under a vanished record reported once)` : ''),
    );
  }

  /** Each parent cycle reachable from the window, once, as the list of its members in link order. */
  private findCycles(): string[][] {
    const cycles: string[][] = [];
    const settled = new Set<string>();
    const parentCache = new Map<string, string | null | undefined>();
    for (const record of this.memories) parentCache.set(record.id, record.parent);
    const parentOf = (id: string) => {
      if (!parentCache.has(id)) parentCache.set(id, this.reader.memory.parentOf(id));
      return parentCache.get(id);
    };
    let steps = 0;
    for (const record of this.memories) {
      if (settled.has(record.id)) continue;
      const path: string[] = [];
      const onPath = new Map<string, number>();
      let current: string | null | undefined = record.id;
      while (typeof current === 'string' && steps < MAX_PARENT_WALK) {
        steps += 1;
        if (settled.has(current)) break;
        const at = onPath.get(current);
        if (at !== undefined) {
          cycles.push(path.slice(at));
          break;
        }
        onPath.set(current, path.length);
        path.push(current);
        const next: string | null | undefined = parentOf(current);
        current = next;
      }
      for (const id of path) settled.add(id);
    }
    return cycles;
  }

  /** The member whose parent is not older than itself (the link that closed the loop); ties by id. */
  private cycleTarget(cycle: string[]): string {
    const created = new Map(cycle.map((id) => [id, this.reader.memory.createdAt(id) ?? 0]));
    const candidates = cycle.filter((id, i) => {
      const parent = cycle[(i + 1) % cycle.length]!;
      return created.get(parent)! >= created.get(id)!;
    });
    return [...(candidates.length > 0 ? candidates : cycle)].sort((a, b) => created.get(a)! - created.get(b)! || (a < b ? -1 : 1))[0]!;
  }

  // ---- audit_chain and store_integrity -------------------------------------------------------

  private auditChain(): void {
    for (const hit of this.breaks) {
      if (hit.explainedBy !== null) continue;
      this.findings.add(
        item(
          'audit_chain_broken',
          hit.rowId ?? undefined,
          `the audit chain fails at seq ${hit.seq}: ${hit.reasons.join('; ')}. Audit rows cannot be repaired; the failure stays as evidence`,
          manualRepair(AUDIT_VERIFY_COMMAND),
        ),
      );
    }
    const explained = this.breaks.filter((b) => b.explainedBy !== null);
    const note = this.chainValid
      ? undefined
      : `fails at seq ${this.breaks.map((b) => b.seq).join(', ')}` +
        (explained.length > 0 ? ` (${explained.map((b) => `seq ${b.seq}: reported as ${b.explainedBy}`).join('; ')})` : '');
    this.findings.note('audit_chain', `hash chain of ${this.chainSummary} verified`, note, !this.chainValid);
  }

  private storeIntegrity(): void {
    const db = this.reader.db;
    const result = (db.prepare('PRAGMA integrity_check').all() as Array<Record<string, unknown>>).map((row) => String(Object.values(row)[0]));
    let failed = false;
    if (!(result.length === 1 && result[0] === 'ok')) {
      failed = true;
      this.findings.add(
        item(
          'store_integrity_failed',
          undefined,
          `SQLite integrity_check reports ${result.length} problem(s): ${result.slice(0, 5).join('; ')}. Stop covenantd and restore covenant.db from a backup`,
          manualRepair(DOCTOR_COMMAND),
        ),
      );
    }
    const version = schemaVersion(db);
    const latest = latestSchemaVersion();
    const applied = (db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number | null }).v;
    if (version !== latest || applied !== latest) {
      failed = true;
      this.findings.add(
        item(
          'store_schema_mismatch',
          undefined,
          `schema version is ${version} (migrations recorded up to ${applied ?? 'none'}), this covenantd expects ${latest}; restart covenantd to migrate, or upgrade covenant`,
          manualRepair(DOCTOR_COMMAND),
        ),
      );
    }
    this.findings.note('store_integrity', `integrity_check ${failed ? 'run' : 'ok'}, schema version ${version} of ${latest}`, undefined, failed);
  }

  // ---- report --------------------------------------------------------------------------------

  private report(): VerifyReport {
    // In check order (stable within a check).
    const drift = [...this.findings.items].sort((a, b) => VERIFY_CHECKS.indexOf(a.check) - VERIFY_CHECKS.indexOf(b.check));
    const checks: CheckResult[] = VERIFY_CHECKS.map((name) => {
      const own = drift.filter((d) => d.check === name);
      const entry = this.findings.counts.get(name);
      const failed = own.length > 0 || entry?.failed === true;
      const kinds = new Map<string, number>();
      for (const d of own) kinds.set(d.kind, (kinds.get(d.kind) ?? 0) + 1);
      const parts = [entry?.read ?? 'checked'];
      if (own.length > 0) parts.push(`${own.length} drift: ${[...kinds].map(([k, n]) => `${n} ${k}`).join(', ')}`);
      parts.push(...(entry?.note ?? []));
      if (!failed) parts.push('no drift');
      return { name, passed: !failed, message: parts.join('; ') };
    });
    return { kind: 'verify_report', window: this.window, checks, drift, orphans_total: drift.length };
  }
}
