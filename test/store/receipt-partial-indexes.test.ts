/** Migration 017: receipts' intent and memory indexes become partial, on a database that already holds receipts. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Receipts, type NewReceipt } from '../../src/settlement/index.js';
import { RECEIPT_VIEW_SELECT } from '../../src/settlement/receipts.js';
import { MIGRATIONS } from '../../src/store/migrations/index.js';
import { migrate, openDatabase, schemaVersion } from '../../src/store/index.js';
import { insertReceiptBefore018 } from '../helpers/legacy-receipts.js';
import { tempDir } from '../helpers/temp-home.js';

const { dir, cleanup } = tempDir('covenant-migration-017-');
after(cleanup);

function receipt(id: string, fields: Partial<NewReceipt>): NewReceipt {
  return {
    id,
    payer: 'payer-pubkey',
    resource: 'tool',
    status: 'ok',
    credits_consumed: 1,
    settled_at: 1_000,
    intent_id: null,
    memory_record_id: null,
    failure_reason: null,
    ...fields,
  };
}

function plan(db: ReturnType<typeof openDatabase>, sql: string, ...args: unknown[]): string {
  return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as Array<{ detail: string }>).map((row) => row.detail).join('\n');
}

test('migration 017 applies on a database with receipts: partial indexes, the same rows found through them', () => {
  const db = openDatabase(join(dir, 'covenant.db'));
  migrate(db, MIGRATIONS.filter((m) => m.version <= 16));
  assert.equal(schemaVersion(db), 16);
  insertReceiptBefore018(db, receipt('tool-1', {}));
  insertReceiptBefore018(db, receipt('compute-1', { resource: 'compute', intent_id: 'intent-1', settled_at: 2_000 }));
  insertReceiptBefore018(db, receipt('compute-2', { resource: 'compute', intent_id: 'intent-1', settled_at: 3_000 }));
  insertReceiptBefore018(db, receipt('memory-1', { resource: 'memory', memory_record_id: 'record-1', credits_consumed: 0 }));

  assert.equal(migrate(db, MIGRATIONS.filter((m) => m.version <= 17)), 17);
  const indexes = db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'receipts' AND sql IS NOT NULL").all() as Array<{ name: string; sql: string }>;
  const sqlOf = (name: string) => indexes.find((index) => index.name === name)?.sql ?? '';
  assert.match(sqlOf('receipts_intent'), /ON receipts\(intent_id\) WHERE intent_id IS NOT NULL$/);
  assert.match(sqlOf('receipts_memory'), /ON receipts\(memory_record_id\) WHERE memory_record_id IS NOT NULL$/);
  assert.deepEqual(indexes.map((index) => index.name).sort(), ['receipts_batch', 'receipts_intent', 'receipts_memory', 'receipts_payer', 'receipts_settled']);
  assert.equal(db.prepare("SELECT count(*) AS n FROM schema_migrations WHERE version = 17").pluck().get(), 1);

  // The rows that were there are found through the new indexes, and new ones too.
  migrate(db);
  const receipts = new Receipts(db);
  receipts.insert(receipt('compute-3', { resource: 'compute', intent_id: 'intent-2' }));
  receipts.insert(receipt('tool-2', {}));
  assert.deepEqual(receipts.forIntent('intent-1').map((r) => r.id), ['compute-1', 'compute-2']);
  assert.deepEqual(receipts.forIntent('intent-2').map((r) => r.id), ['compute-3']);
  const byRecord = db.prepare("SELECT id FROM receipts WHERE resource = 'memory' AND memory_record_id IN (?, ?)").pluck().all('record-1', 'record-2');
  assert.deepEqual(byRecord, ['memory-1']);
  assert.equal(db.prepare('PRAGMA integrity_check').pluck().get(), 'ok');

  // Every query on these columns asks for a value, so SQLite still answers it from the index.
  assert.match(plan(db, `${RECEIPT_VIEW_SELECT} WHERE r.intent_id = ? ORDER BY r.settled_at, r.id`, 'intent-1'), /USING (COVERING )?INDEX receipts_intent/);
  assert.match(plan(db, "SELECT id FROM receipts WHERE resource = 'memory' AND memory_record_id IN (?, ?)", 'a', 'b'), /USING (COVERING )?INDEX receipts_memory/);
  db.exec('CREATE TEMP TABLE memory_doomed (id TEXT PRIMARY KEY)');
  assert.match(plan(db, 'SELECT count(*) FROM receipts WHERE memory_record_id IN (SELECT id FROM temp.memory_doomed)'), /USING (COVERING )?INDEX receipts_memory/);
  db.close();
});
