/**
 * Memory retention (SPEC 3, docs/memory.md): write, recent, search, purge and compaction over
 * the `memory_records` table, with the receipts and audit rows that keep memory, settlement and
 * the audit log consistent.
 *
 * - write: ONE transaction writes the record, its `memory` receipt (1 credit per started 4 KiB
 *   of UTF-8 text, minimum 1) and a `memory_written` audit row (text length and SHA-256, never
 *   the text). The parent must be one of the caller's own records.
 * - import: the chunks of text files (chunker.ts) written as records like `write` does, one
 *   transaction and one `memory_imported` audit row per request; an unchanged file is skipped.
 * - recent / search: only the caller's own records. Search is hybrid (hybrid-search.ts): BM25
 *   over FTS5 fused with the cosine similarity of embeddings from the in-process index.
 * - purge and retention deletes: each deleted record leaves a tombstone naming its receipt (the
 *   receipt is *marked*, not orphaned, and never rewritten), children of deleted records are
 *   detached (`parent = NULL`), one audit row describes the whole change (ids as a SHA-256 over
 *   the sorted ids).
 * - compaction applies the `[memory.retention]` policy to every owner's records: working and
 *   episodic records past their max age or beyond their per-owner max count are deleted;
 *   long-term records are never deleted, only marked stale.
 */
import type { AuditLog } from '../audit/index.js';
import { CovenantError, newId, sha256Hex, type Clock } from '../core/index.js';
import type { AgentId } from '../identity/index.js';
import { Receipts } from '../settlement/index.js';
import { transact, type Db } from '../store/index.js';
import { chunkText } from './chunker.js';
import { EmbedderBinding } from './embedder-binding.js';
import { HybridSearch, type SearchMode } from './hybrid-search.js';
import { LexicalThread } from './lexical-thread.js';
import type { MemoryEmbedder } from './memory-embedder.js';
import {
  MAX_MEMORY_LIMIT,
  MEMORY_TIERS,
  type CompactionOutcome,
  type MemoryReadRecord,
  type MemoryTier,
  type MemoryWrittenRecord,
} from '../protocol/index.js';
import { MemoryRecords } from './records.js';
import { DEFAULT_RETENTION, loadRetentionPolicy, type RetentionPolicy } from './retention.js';
import { MemoryIndex } from './search-index.js';

/** The longest text a memory_write accepts, in UTF-8 bytes. */
export const MAX_MEMORY_TEXT_BYTES = 64 * 1024;
/** Memory credits: 1 per started 4 KiB of UTF-8 text, minimum 1. */
export const MEMORY_BYTES_PER_CREDIT = 4096;
export const DEFAULT_MEMORY_LIMIT = 10;
/** How often the daemon applies the retention policy (the first pass too: 10 min after start). */
export const RETENTION_INTERVAL_MS = 10 * 60_000;
export const RETENTION_FIRST_PASS_MS = RETENTION_INTERVAL_MS;

export function memoryCredits(textBytes: number): number {
  return Math.max(1, Math.ceil(Math.max(0, textBytes) / MEMORY_BYTES_PER_CREDIT));
}

export interface MemoryLog {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

export interface MemoryServiceDeps {
  db: Db;
  audit: AuditLog;
  clock: Clock;
  embedder: MemoryEmbedder;
  /** Where the search index keeps its segment files; absent: the index is not persisted. */
  indexDir?: string;
  /** `$COVENANT_HOME/config.toml`; absent: the default policy. Re-read at every compaction. */
  configPath?: string;
  /** Who the retention timer's audit rows are issued by (the daemon). */
  daemon?: AgentId;
  log?: MemoryLog;
}

interface DoomedRow {
  rowid: number;
  id: string;
  owner: string;
  tier: MemoryTier;
}

/** A `memory_records` row as READ_COLUMNS selects it: a MemoryReadRecord with `stale` as SQLite's 0/1. */
type ReadRow = Omit<MemoryReadRecord, 'stale' | 'relevance' | 'parts'> & { stale: number };

const READ_COLUMNS = 'id, tier, text, created_at, parent, receipt_id, stale';

/** SHA-256 over the sorted ids joined by "\n" (empty list: the hash of ""). */
export function idsSha256(ids: readonly string[]): string {
  return sha256Hex([...ids].sort().join('\n'));
}

function toRead(row: ReadRow, hit?: { relevance: number; parts: NonNullable<MemoryReadRecord['parts']> }): MemoryReadRecord {
  const record: MemoryReadRecord = {
    id: row.id,
    tier: row.tier,
    text: row.text,
    created_at: row.created_at,
    parent: row.parent,
    receipt_id: row.receipt_id,
    stale: row.stale !== 0,
  };
  if (hit !== undefined) {
    record.relevance = hit.relevance;
    record.parts = hit.parts;
  }
  return record;
}

function clampLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return DEFAULT_MEMORY_LIMIT;
  return Math.min(Math.max(Math.trunc(limit), 1), MAX_MEMORY_LIMIT);
}

/** An answer's vector, made before its record is written (`prepareAnswer`). */
export interface PreparedAnswer {
  readonly text: string;
  readonly embedding: Float32Array;
}

export class MemoryService {
  readonly records: MemoryRecords;
  private current: { index: MemoryIndex; hybrid: HybridSearch };
  private readonly binding: EmbedderBinding;
  private readonly receipts: Receipts;
  /** BM25 queries of search, in a worker thread (lexical-thread.ts). */
  readonly lexical: LexicalThread;
  private timer: { first: NodeJS.Timeout | null; every: NodeJS.Timeout | null } | null = null;

  constructor(private readonly deps: MemoryServiceDeps) {
    this.binding = new EmbedderBinding(deps.db, deps.embedder);
    this.lexical = new LexicalThread(deps.db, { log: deps.log });
    // A provider's embedder knows its dimension after its first answer; memory may know it already.
    const recorded = this.binding.recorded();
    this.current = this.indexFor(deps.embedder.dims || (recorded?.embedder === deps.embedder.id ? recorded.dims : 0));
    this.records = new MemoryRecords(deps.db);
    this.receipts = new Receipts(deps.db);
    // The ids a delete works on (per connection, never persisted).
    deps.db.exec('CREATE TEMP TABLE IF NOT EXISTS memory_doomed (id TEXT PRIMARY KEY)');
  }

  /** The search index (built for the embedder's dimension). */
  get index(): MemoryIndex {
    return this.current.index;
  }

  private get hybrid(): HybridSearch {
    return this.current.hybrid;
  }

  private indexFor(dims: number): { index: MemoryIndex; hybrid: HybridSearch } {
    const index = new MemoryIndex(this.deps.db, dims, { dir: this.deps.indexDir, embedder: this.deps.embedder.id });
    return { index, hybrid: new HybridSearch(index, this.lexical) };
  }

  /**
   * The embedder's vectors for `texts`, with the index rebuilt for their dimension when it first
   * becomes known; empty vectors (stored without one) while memory holds another embedder's
   * (embedder-binding.ts). A provider's failure is thrown.
   */
  private async vectors(texts: readonly string[]): Promise<Float32Array[]> {
    if (this.binding.conflict() !== null) return texts.map(() => new Float32Array(0));
    const vectors = await this.deps.embedder.embed(texts);
    const dims = vectors[0]?.length ?? 0;
    if (dims > 0 && dims !== this.current.index.dims) this.current = this.indexFor(dims);
    return vectors;
  }

  // ---------------------------------------------------------------- write

  async write(caller: AgentId, input: { text: string; tier: MemoryTier; parent?: string | null }): Promise<MemoryWrittenRecord> {
    const { db, audit } = this.deps;
    const text = input.text;
    const textBytes = Buffer.byteLength(text, 'utf8');
    if (text.trim().length === 0) throw new CovenantError('E_BAD_REQUEST', 'memory text must not be empty');
    if (textBytes > MAX_MEMORY_TEXT_BYTES) {
      throw new CovenantError('E_BAD_REQUEST', `memory text is ${textBytes} bytes; the limit is ${MAX_MEMORY_TEXT_BYTES} (64 KiB)`);
    }
    const parent = input.parent ?? null;
    const [embedding] = await this.vectors([text]);
    const id = newId();
    return transact(db, (): MemoryWrittenRecord => {
      if (parent !== null) {
        const row = db.prepare('SELECT owner FROM memory_records WHERE id = ?').get(parent) as { owner: string } | undefined;
        // Another owner's record is reported exactly like a missing one: ids do not leak.
        if (!row || row.owner !== caller.pubkey) {
          throw new CovenantError('E_NOT_FOUND', `no memory record ${parent} of yours to use as parent; see \`covenant memory recent\``);
        }
      }
      const written = this.insertWithReceipt(caller, { id, tier: input.tier, text, embedding: embedding!, parent, metadata: { source: 'memory_write', text_bytes: textBytes } });
      audit.append(caller, { kind: 'memory_written', payload: {
        id,
        tier: input.tier,
        parent,
        receipt_id: written.receipt_id,
        credits: written.credits,
        text_bytes: textBytes,
        text_sha256: sha256Hex(text),
      } });
      return { id, tier: input.tier, owner: caller.pubkey, text, created_at: written.created_at, parent, receipt_id: written.receipt_id };
    });
  }

  /**
   * A dispatched intent's answer (SPEC 12): a `working` record whose id is the intent id, with
   * its memory receipt. Call it inside the dispatch's settle transaction; the caller's
   * `intent_dispatched` row names the record and its receipt (no `memory_written` row).
   */
  recordAnswer(
    owner: AgentId,
    input: { intentId: string; text: string; metadata: Record<string, unknown>; prepared?: PreparedAnswer | undefined },
  ): { receipt_id: string } {
    const embedding = input.prepared?.text === input.text ? input.prepared.embedding : this.prepareAnswer(input.text).embedding;
    return this.insertWithReceipt(owner, { id: input.intentId, tier: 'working', text: input.text, embedding, parent: null, metadata: input.metadata });
  }

  /**
   * What `recordAnswer` stores for an answer's text besides the text (its vector), computed
   * ahead of it: the dispatch does this while the agent's process exits.
   */
  prepareAnswer(text: string): PreparedAnswer {
    // A remote embedder cannot answer inside the settle transaction: the record is then found by its words.
    const embedding = (this.binding.conflict() === null ? this.deps.embedder.embedNow?.(text) : undefined) ?? new Float32Array(0);
    return { text, embedding };
  }

  /**
   * The one writer of "a record plus its memory receipt" (1 credit per started 4 KiB, paid by
   * the owner), so every record has exactly one memory receipt however it was written (SPEC 2
   * memory_receipts, SPEC 3 receipt_id). Runs inside the caller's transaction.
   */
  private insertWithReceipt(
    owner: AgentId,
    record: { id: string; tier: MemoryTier; text: string; embedding: Float32Array; parent: string | null; metadata: Record<string, unknown> },
  ): { receipt_id: string; credits: number; created_at: number } {
    const textBytes = Buffer.byteLength(record.text, 'utf8');
    const receiptId = newId();
    const credits = memoryCredits(textBytes);
    const now = this.deps.clock.now();
    if (record.embedding.length > 0) this.binding.bind(record.embedding.length, now);
    this.receipts.insert({
      id: receiptId,
      payer: owner.pubkey,
      resource: 'memory',
      status: 'ok',
      credits_consumed: credits,
      settled_at: now,
      // A memory receipt names its record, never an intent (even one whose id the record
      // shares): "the receipts of intent X" are what its run cost.
      intent_id: null,
      memory_record_id: record.id,
      failure_reason: null,
    });
    this.records.insert({
      id: record.id,
      tier: record.tier,
      owner: owner.pubkey,
      text: record.text,
      embedding: record.embedding,
      metadata: { ...record.metadata, embedder: this.deps.embedder.id },
      created_at: now,
      parent: record.parent,
      receipt_id: receiptId,
    });
    return { receipt_id: receiptId, credits, created_at: now };
  }

  // ---------------------------------------------------------------- reads

  /** The caller's newest records (all tiers, or one), newest first. */
  recent(owner: string, input: { tier?: MemoryTier | undefined; limit?: number | undefined }): MemoryReadRecord[] {
    const limit = clampLimit(input.limit);
    const rows = (
      input.tier === undefined
        ? this.deps.db
            .prepare(`SELECT ${READ_COLUMNS} FROM memory_records WHERE owner = ? ORDER BY created_at DESC, rowid DESC LIMIT ?`)
            .all(owner, limit)
        : this.deps.db
            .prepare(`SELECT ${READ_COLUMNS} FROM memory_records WHERE owner = ? AND tier = ? ORDER BY created_at DESC, rowid DESC LIMIT ?`)
            .all(owner, input.tier, limit)
    ) as ReadRow[];
    return rows.map((row) => toRead(row));
  }

  /**
   * The caller's records best matching `query` (hybrid-search.ts), best first: relevance > 0 and
   * >= `minRelevance`; equal relevance: newest first. `mode` picks one part alone (the bench).
   */
  async search(
    owner: string,
    input: { query: string; tier?: MemoryTier | undefined; limit?: number | undefined; minRelevance?: number | undefined; mode?: SearchMode },
  ): Promise<MemoryReadRecord[]> {
    return (await this.searchExplained(owner, input)).records;
  }

  /**
   * `search`, with a note when the vector part was left out: memory holds another embedder's
   * vectors, or the provider's embedder failed (down, slow, garbage). Such a search is by words
   * only (BM25) rather than an error: a caller still gets the records its words match.
   */
  async searchExplained(
    owner: string,
    input: { query: string; tier?: MemoryTier | undefined; limit?: number | undefined; minRelevance?: number | undefined; mode?: SearchMode },
  ): Promise<{ records: MemoryReadRecord[]; note: string | null }> {
    let mode = input.mode ?? 'hybrid';
    let vector: Float32Array | null = null;
    let note: string | null = null;
    if (mode !== 'lexical') {
      note = this.binding.conflict();
      try {
        if (note === null) [vector = null] = await this.vectors([input.query]);
      } catch (error) {
        if (!(error instanceof CovenantError && error.code.startsWith('E_MODEL'))) throw error;
        note = `the embedder ${this.deps.embedder.id} failed (${error.code}: ${error.message}); these results are by words only (BM25)`;
        this.deps.log?.warn({ embedder: this.deps.embedder.id, code: error.code }, 'memory search fell back to BM25');
      }
      if (note !== null) mode = 'lexical';
    }
    return { records: await this.searchWith(owner, input, vector, mode), note };
  }

  private async searchWith(
    owner: string,
    input: { query: string; tier?: MemoryTier | undefined; limit?: number | undefined; minRelevance?: number | undefined },
    vector: Float32Array | null,
    mode: SearchMode,
  ): Promise<MemoryReadRecord[]> {
    const limit = clampLimit(input.limit);
    const tiers = input.tier === undefined ? MEMORY_TIERS : [input.tier];
    const hits = await this.hybrid.search(owner, tiers, { text: input.query, vector }, limit, input.minRelevance ?? 0, mode);
    if (hits.length === 0) return [];
    const placeholders = hits.map(() => '?').join(', ');
    // By rowid only (an `owner = ?` term could make SQLite walk the owner index instead); the
    // owner is checked here.
    const rows = this.deps.db
      .prepare(`SELECT rowid AS r, ${READ_COLUMNS}, owner FROM memory_records WHERE rowid IN (${placeholders})`)
      .all(...hits.map((h) => h.rowid)) as Array<ReadRow & { owner: string; r: number }>;
    const byRowid = new Map(rows.filter((row) => row.owner === owner).map((row) => [row.r, row]));
    const out: MemoryReadRecord[] = [];
    for (const hit of hits) {
      const row = byRowid.get(hit.rowid);
      if (row) out.push(toRead(row, hit));
    }
    return out;
  }

  // ---------------------------------------------------------------- import

  /**
   * Imports text files as the caller's records (SPEC 3 `memory import`): each file is chunked
   * (chunker.ts) and each chunk written as `write` writes a record (its own memory receipt), with
   * `metadata {source, import_key, chunk, chunks, file_sha256}`. `import_key` names (tier, source,
   * content): a file whose chunks are all present is skipped, one with some missing (purged) gets
   * those back. One transaction and one `memory_imported` audit row for the whole request.
   */
  async import(caller: AgentId, input: { tier: MemoryTier; files: ReadonlyArray<{ source: string; text: string }> }): Promise<{ files: number; records: number; skipped: number }> {
    const { db, audit } = this.deps;
    const planned = input.files.map((file) => {
      const fileSha = sha256Hex(file.text);
      const chunks = chunkText(file.text, /\.(md|markdown)$/i.test(file.source));
      return { ...file, fileSha, chunks, key: sha256Hex(`${input.tier}\n${file.source}\n${fileSha}`) };
    });
    const present = db.prepare("SELECT json_extract(metadata, '$.chunk') AS chunk FROM memory_records WHERE owner = ? AND json_extract(metadata, '$.import_key') = ?").pluck();
    const missingOf = (file: (typeof planned)[number]) => {
      const have = new Set(present.all(caller.pubkey, file.key) as number[]);
      return file.chunks.map((text, chunk) => ({ text, chunk })).filter(({ chunk }) => !have.has(chunk));
    };
    // Embedded before the transaction (a model embedder answers asynchronously).
    const todo = planned.map((file) => ({ file, missing: missingOf(file) }));
    const texts = todo.flatMap(({ missing }) => missing.map((m) => m.text));
    const vectors = texts.length > 0 ? await this.vectors(texts) : [];
    return transact(db, () => {
      let records = 0;
      let skipped = 0;
      let credits = 0;
      let textBytes = 0;
      let v = 0;
      for (const { file, missing: before } of todo) {
        // Another import may have written some of them while this one was embedding.
        const stillMissing = new Set(missingOf(file).map((m) => m.chunk));
        if (before.length === 0 || stillMissing.size === 0) skipped += 1;
        for (const { text, chunk } of before) {
          const embedding = vectors[v]!;
          v += 1;
          if (!stillMissing.has(chunk)) continue;
          const written = this.insertWithReceipt(caller, {
            id: newId(),
            tier: input.tier,
            text,
            embedding,
            parent: null,
            metadata: { source: file.source, import_key: file.key, chunk, chunks: file.chunks.length, file_sha256: file.fileSha },
          });
          records += 1;
          credits += written.credits;
          textBytes += Buffer.byteLength(text, 'utf8');
        }
      }
      audit.append(caller, { kind: 'memory_imported', payload: {
        tier: input.tier,
        files: input.files.length,
        records,
        skipped,
        credits,
        text_bytes: textBytes,
        sources_sha256: idsSha256(input.files.map((f) => f.source)),
      } });
      return { files: input.files.length, records, skipped };
    });
  }

  /** Writes the search index's changed segments to disk and stops the BM25 worker (the daemon calls it on stop). */
  close(): Promise<void> {
    this.index.flush();
    return this.lexical.close();
  }

  // ---------------------------------------------------------------- purge

  /** Deletes the caller's records created before `beforeMs` (one tier, or all). */
  purge(caller: AgentId, input: { tier?: MemoryTier | undefined; beforeMs: number }): { purged: number } {
    const { db, audit, clock } = this.deps;
    const outcome = transact(db, () => {
      this.index.sync();
      const epochBefore = this.index.readEpoch();
      const rows = (
        input.tier === undefined
          ? db.prepare('SELECT rowid, id, owner, tier FROM memory_records WHERE owner = ? AND created_at < ?').all(caller.pubkey, input.beforeMs)
          : db
              .prepare('SELECT rowid, id, owner, tier FROM memory_records WHERE owner = ? AND tier = ? AND created_at < ?')
              .all(caller.pubkey, input.tier, input.beforeMs)
      ) as DoomedRow[];
      const removal = this.deleteRecords(rows, 'purge', clock.now());
      audit.append(caller, { kind: 'memory_purged', payload: {
        tier: input.tier ?? null,
        before_ms: input.beforeMs,
        purged: rows.length,
        ids_sha256: idsSha256(rows.map((r) => r.id)),
        parents_detached: removal.parentsDetached,
        receipts_marked: removal.receiptsMarked,
      } });
      return { rows, epochBefore, epochAfter: this.index.readEpoch(), rowidAfter: this.index.readMaxRowid() };
    });
    this.index.applyDeletes(outcome.rows, outcome.epochBefore, outcome.epochAfter, outcome.rowidAfter);
    this.lexical.deleted(outcome.rows.map((r) => r.rowid), outcome.epochBefore, outcome.epochAfter);
    return { purged: outcome.rows.length };
  }

  /**
   * Deletes records (inside the caller's transaction): tombstones naming their receipts,
   * children detached, rows deleted.
   */
  private deleteRecords(rows: readonly DoomedRow[], cause: 'purge' | 'retention', now: number): { parentsDetached: number; receiptsMarked: number } {
    if (rows.length === 0) return { parentsDetached: 0, receiptsMarked: 0 };
    const db = this.deps.db;
    this.fillDoomed(rows.map((r) => r.id));
    const parentsDetached = db
      .prepare(
        `UPDATE memory_records SET parent = NULL
         WHERE parent IN (SELECT id FROM temp.memory_doomed) AND id NOT IN (SELECT id FROM temp.memory_doomed)`,
      )
      .run().changes;
    const receiptsMarked = (
      db
        .prepare(
          `SELECT count(*) AS n FROM receipts
           WHERE memory_record_id IN (SELECT id FROM temp.memory_doomed)
              OR id IN (SELECT receipt_id FROM memory_records WHERE id IN (SELECT id FROM temp.memory_doomed))`,
        )
        .get() as { n: number }
    ).n;
    db.prepare(
      `INSERT OR REPLACE INTO memory_tombstones (record_id, owner, tier, receipt_id, created_at, deleted_at, cause)
       SELECT id, owner, tier, receipt_id, created_at, ?, ? FROM memory_records WHERE id IN (SELECT id FROM temp.memory_doomed)`,
    ).run(now, cause);
    db.prepare('DELETE FROM memory_records WHERE id IN (SELECT id FROM temp.memory_doomed)').run();
    db.prepare('DELETE FROM temp.memory_doomed').run();
    return { parentsDetached, receiptsMarked };
  }

  private fillDoomed(ids: readonly string[]): void {
    const db = this.deps.db;
    db.prepare('DELETE FROM temp.memory_doomed').run();
    const insert = db.prepare('INSERT OR IGNORE INTO temp.memory_doomed (id) VALUES (?)');
    for (const id of ids) insert.run(id);
  }

  // ---------------------------------------------------------------- retention

  /** The policy in config.toml now (defaults when there is no file). Throws E_BAD_REQUEST naming the key. */
  policy(): RetentionPolicy {
    return this.deps.configPath ? loadRetentionPolicy(this.deps.configPath) : structuredClone(DEFAULT_RETENTION);
  }

  /**
   * Applies (or, dry run, only measures) the retention policy over every owner's records and
   * writes one `memory_compacted` audit row. `audit: 'changes'` writes it only when something
   * changes (the timer).
   */
  compact(
    issuer: AgentId,
    input: { reason: string; apply: boolean; policy?: RetentionPolicy; audit?: 'always' | 'changes' },
  ): CompactionOutcome {
    const { db, audit, clock } = this.deps;
    const policy = input.policy ?? this.policy();
    const result = transact(db, () => {
      if (input.apply) this.index.sync();
      const epochBefore = this.index.readEpoch();
      const now = clock.now();
      const doomed = new Map<string, DoomedRow>();
      const stale = new Set<string>();
      for (const tier of MEMORY_TIERS) {
        const rule = policy[tier];
        const selected: DoomedRow[] = [];
        if (rule.max_age_ms !== null) {
          selected.push(
            ...(db
              .prepare('SELECT rowid, id, owner, tier FROM memory_records WHERE tier = ? AND created_at < ?')
              .all(tier, now - rule.max_age_ms) as DoomedRow[]),
          );
        }
        if (rule.max_count !== null) {
          selected.push(
            ...(db
              .prepare(
                `SELECT rowid, id, owner, tier FROM (
                   SELECT rowid, id, owner, tier, ROW_NUMBER() OVER (PARTITION BY owner ORDER BY created_at DESC, rowid DESC) AS rn
                   FROM memory_records WHERE tier = ?)
                 WHERE rn > ?`,
              )
              .all(tier, rule.max_count) as DoomedRow[]),
          );
        }
        if (tier === 'longterm') {
          const already = db.prepare("SELECT id FROM memory_records WHERE tier = 'longterm' AND stale != 0").pluck();
          const staleNow = new Set(already.all() as string[]);
          for (const row of selected) if (!staleNow.has(row.id)) stale.add(row.id);
        } else {
          for (const row of selected) doomed.set(row.id, row);
        }
      }
      const doomedRows = [...doomed.values()];
      this.fillDoomed(doomedRows.map((r) => r.id));
      const detached = db
        .prepare('SELECT id FROM memory_records WHERE parent IN (SELECT id FROM temp.memory_doomed) AND id NOT IN (SELECT id FROM temp.memory_doomed)')
        .pluck()
        .all() as string[];
      db.prepare('DELETE FROM temp.memory_doomed').run();
      const changedIds = new Set<string>([...doomed.keys(), ...stale, ...detached]);
      const outcome: CompactionOutcome = {
        mode: input.apply ? 'apply' : 'dry_run',
        would_change: changedIds.size,
        changed: 0,
        deleted: doomedRows.length,
        stale_marked: stale.size,
        parents_detached: detached.length,
      };
      if (input.apply) {
        const removal = this.deleteRecords(doomedRows, 'retention', now);
        outcome.parents_detached = removal.parentsDetached;
        const mark = db.prepare('UPDATE memory_records SET stale = 1 WHERE id = ? AND stale = 0');
        for (const id of stale) mark.run(id);
        outcome.changed = outcome.would_change;
      }
      if (input.audit !== 'changes' || outcome.would_change > 0) {
        audit.append(issuer, { kind: 'memory_compacted', payload: {
          reason: input.reason,
          ...outcome,
          deleted_ids_sha256: idsSha256(doomedRows.map((r) => r.id)),
        } });
      }
      return { outcome, doomedRows, epochBefore, epochAfter: this.index.readEpoch(), rowidAfter: this.index.readMaxRowid() };
    });
    if (input.apply) {
      this.index.applyDeletes(result.doomedRows, result.epochBefore, result.epochAfter, result.rowidAfter);
      this.lexical.deleted(result.doomedRows.map((r) => r.rowid), result.epochBefore, result.epochAfter);
    }
    return result.outcome;
  }

  /**
   * Starts applying the policy on a timer (first pass after `firstMs`, then every `everyMs`);
   * both timers are unref'd so they never keep the process alive. Errors (a bad config.toml)
   * are logged and the pass is skipped.
   */
  startRetentionTimer(options: { firstMs?: number; everyMs?: number } = {}): void {
    if (this.timer) return;
    const daemon = this.deps.daemon;
    if (!daemon) throw new Error('the retention timer needs the daemon identity');
    const pass = () => {
      try {
        const outcome = this.compact(daemon, { reason: 'retention policy (timer)', apply: true, audit: 'changes' });
        if (outcome.changed > 0) this.deps.log?.info({ ...outcome }, 'memory retention applied');
      } catch (error) {
        this.deps.log?.warn({ err: error instanceof Error ? error.message : String(error) }, 'memory retention pass skipped');
      }
    };
    const first = setTimeout(() => {
      if (this.timer) this.timer.first = null;
      pass();
    }, options.firstMs ?? RETENTION_FIRST_PASS_MS);
    const every = setInterval(pass, options.everyMs ?? RETENTION_INTERVAL_MS);
    first.unref();
    every.unref();
    this.timer = { first, every };
  }

  stopRetentionTimer(): void {
    if (!this.timer) return;
    if (this.timer.first) clearTimeout(this.timer.first);
    if (this.timer.every) clearInterval(this.timer.every);
    this.timer = null;
  }
}
