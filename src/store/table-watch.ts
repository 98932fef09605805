import type { Db } from './database.js';

const TABLE_NAME = /^[a-z_]+$/;
const listeners = new WeakMap<Db, Map<string, Set<() => void>>>();

/**
 * Calls `onChange` during every INSERT, UPDATE or DELETE of a row of `table` made through this
 * connection, whatever made it (a repository, a revocation, a test's raw SQL), including a change
 * that is later rolled back: a cache cleared needlessly only costs one lookup. TEMP triggers live
 * in this connection alone and are never stored; covenantd is the only writer of its database
 * while it runs (the instance lock), so no other connection's change goes unseen. Must be called
 * once the table exists (after the migrations) and outside any transaction: a rollback would
 * drop the triggers it creates, and every later change would go unseen.
 */
export function watchTable(db: Db, table: string, onChange: () => void): void {
  if (!TABLE_NAME.test(table)) throw new Error(`watchTable: not a table name: ${table}`);
  let tables = listeners.get(db);
  if (tables === undefined) {
    tables = new Map();
    listeners.set(db, tables);
  }
  let set = tables.get(table);
  if (set === undefined) {
    if (db.inTransaction) throw new Error(`watchTable(${table}): called inside a transaction, whose rollback would drop its triggers`);
    const created = new Set<() => void>();
    set = created;
    tables.set(table, created);
    const fn = `covenant_${table}_changed`;
    db.function(fn, { deterministic: false, varargs: false }, () => {
      for (const listener of created) listener();
      return null;
    });
    for (const event of ['INSERT', 'UPDATE', 'DELETE']) {
      db.exec(`CREATE TEMP TRIGGER IF NOT EXISTS covenant_${table}_${event.toLowerCase()} AFTER ${event} ON main.${table} BEGIN SELECT ${fn}(); END`);
    }
  }
  set.add(onChange);
}
