// watchTable (src/store/table-watch.ts): the remembered peers and capability lookups are only
// as good as the triggers that tell them of a change.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { migrate, openDatabase, watchTable } from '../../src/store/index.js';
import { tempDir } from '../helpers/temp-home.js';

const { dir, cleanup } = tempDir('covenant-table-watch-');
after(cleanup);

function freshDb(name: string) {
  const db = openDatabase(join(dir, `${name}.db`));
  migrate(db);
  after(() => db.close());
  return db;
}

const tempTriggers = (db: ReturnType<typeof freshDb>) =>
  (db.prepare("SELECT name FROM sqlite_temp_master WHERE type = 'trigger' ORDER BY name").all() as { name: string }[]).map((row) => row.name);

test('refuses to start watching inside a transaction, whose rollback would drop the triggers', () => {
  const db = freshDb('refuses');
  db.exec('BEGIN');
  assert.throws(() => watchTable(db, 'capabilities', () => undefined), /inside a transaction/);
  db.exec('ROLLBACK');
  assert.deepEqual(tempTriggers(db), []);
});

test('every write is seen, a rolled-back one included, and the triggers outlive the rollback', () => {
  const db = freshDb('outlive');
  let changes = 0;
  watchTable(db, 'capabilities', () => {
    changes += 1;
  });
  assert.deepEqual(tempTriggers(db), ['covenant_capabilities_delete', 'covenant_capabilities_insert', 'covenant_capabilities_update']);
  const insert = db.prepare(`INSERT INTO capabilities (id, subject_display, subject_pubkey, action, scope, granted_by_display,
    granted_by_pubkey, expires_at, parent_id, issued_at, signature_b58, revoked_at) VALUES (?, 'b', 'B', 'memory.read', '{}', 'o', 'O', NULL, NULL, 1, ?, NULL)`);
  assert.throws(
    db.transaction(() => {
      insert.run('one', 'sig-one');
      throw new Error('rolled back');
    }),
    /rolled back/,
  );
  assert.equal(changes, 1);
  insert.run('two', 'sig-two');
  db.prepare("UPDATE capabilities SET revoked_at = 5 WHERE id = 'two'").run();
  db.prepare("DELETE FROM capabilities WHERE id = 'two'").run();
  assert.equal(changes, 4);
});

test('a second watcher of the same table, even inside a transaction, is told too', () => {
  const db = freshDb('second');
  const seen: string[] = [];
  watchTable(db, 'peers', () => seen.push('first'));
  db.transaction(() => watchTable(db, 'peers', () => seen.push('second')))();
  db.prepare("INSERT INTO peers (token_hash, token_prefix, display, pubkey, role, registered_at) VALUES ('h', 'p', 'd', 'k', 'peer', 1)").run();
  assert.deepEqual(seen, ['first', 'second']);
});
