/** Id prefixes over a column that is not unique (an intent id on each of its receipts): each value is one match. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { resolveIdPrefix } from '../../src/core/index.js';
import { idsWithPrefix, type PrefixQuery } from '../../src/store/index.js';

test('a grouped prefix query counts each value once; different values still make it ambiguous', () => {
  const db = new Database(':memory:');
  try {
    db.exec('CREATE TABLE receipts (id TEXT PRIMARY KEY, intent_id TEXT, payer TEXT)');
    const insert = db.prepare('INSERT INTO receipts VALUES (?, ?, ?)');
    const intent = 'abc12345-0000-4000-8000-000000000001';
    const other = 'abd12345-0000-4000-8000-000000000002';
    insert.run('r1', intent, 'p');
    insert.run('r2', intent, 'p');
    insert.run('r3', other, 'p');
    const query: PrefixQuery = { table: 'receipts', column: 'intent_id', label: "count(*) || ' receipt(s)'", grouped: true };
    const find = (prefix: string, limit: number) => idsWithPrefix(db, query, prefix, limit);
    assert.deepEqual(find('abc', 6), [{ id: intent, label: '2 receipt(s)' }]);
    assert.equal(resolveIdPrefix('abc', 'intent', find), intent, 'two receipts of one intent are one match');
    assert.throws(() => resolveIdPrefix('ab', 'intent', find), { code: 'E_AMBIGUOUS' });
    const ungrouped = (prefix: string, limit: number) => idsWithPrefix(db, { ...query, grouped: false, label: "'receipt'" }, prefix, limit);
    assert.throws(() => resolveIdPrefix('abc', 'intent', ungrouped), { code: 'E_AMBIGUOUS' }, 'without grouping the same intent would be ambiguous');
  } finally {
    db.close();
  }
});
