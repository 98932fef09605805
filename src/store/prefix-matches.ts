import type { IdMatch } from '../core/index.js';
import { statement } from './statements.js';
import type { Db } from './database.js';

export interface PrefixQuery {
  /** Table and column are code constants, never input. The column is indexed (a primary key). */
  table: string;
  column: string;
  /** An SQL expression over the row: the words an ambiguity refusal shows for it. */
  label: string;
  /** Which rows the caller may see (SQL over the row, with `args`); absent: all. */
  visible?: { sql: string; args: unknown[] };
  /** The column is not unique (an intent id on each of its receipts): each value is one match. */
  grouped?: boolean;
}

/** Ids of `query.table` starting with `prefix` that the caller may see, newest rowid first; a range scan on the index. */
export function idsWithPrefix(db: Db, query: PrefixQuery, prefix: string, limit: number): IdMatch[] {
  const visible = query.visible ? ` AND (${query.visible.sql})` : '';
  const order = query.grouped ? `GROUP BY ${query.column} ORDER BY MAX(rowid) DESC` : 'ORDER BY rowid DESC';
  return statement(
    db,
    `SELECT ${query.column} AS id, ${query.label} AS label FROM ${query.table}
       WHERE ${query.column} >= ? AND ${query.column} < ?${visible} ${order} LIMIT ?`,
  ).all(prefix, `${prefix}\uffff`, ...(query.visible?.args ?? []), limit) as IdMatch[];
}
