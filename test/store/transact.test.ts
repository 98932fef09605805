// transact (src/store/transact.ts): db.transaction(fn)() without a transaction function per call.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { openDatabase, transact } from '../../src/store/index.js';
import { aroundTransactions } from '../../src/store/transaction-marks.js';
import { tempDir } from '../helpers/temp-home.js';

const { dir, cleanup } = tempDir('covenant-transact-');
after(cleanup);

function freshDb(name: string) {
  const db = openDatabase(join(dir, `${name}.db`));
  db.exec('CREATE TABLE t (x INTEGER)');
  after(() => db.close());
  return db;
}
const rows = (db: ReturnType<typeof freshDb>) => (db.prepare('SELECT x FROM t ORDER BY x').all() as { x: number }[]).map((row) => row.x);

test('commits what fn wrote and returns its value; a throw rolls everything back and is rethrown', () => {
  const db = freshDb('commit');
  const value = transact(db, () => {
    db.prepare('INSERT INTO t VALUES (1)').run();
    assert.equal(db.inTransaction, true);
    return 'done';
  });
  assert.equal(value, 'done');
  assert.equal(db.inTransaction, false);
  assert.throws(
    () =>
      transact(db, () => {
        db.prepare('INSERT INTO t VALUES (2)').run();
        throw new Error('no');
      }),
    /no/,
  );
  assert.deepEqual(rows(db), [1]);
});

test('inside an open transaction it is a savepoint: a failed inner call leaves the outer one its rows', () => {
  const db = freshDb('savepoint');
  transact(db, () => {
    db.prepare('INSERT INTO t VALUES (1)').run();
    assert.throws(() =>
      transact(db, () => {
        db.prepare('INSERT INTO t VALUES (2)').run();
        throw new Error('inner');
      }),
    );
    db.prepare('INSERT INTO t VALUES (3)').run();
  });
  assert.deepEqual(rows(db), [1, 3]);
});

test('goes through a wrapper of db.transaction installed after its first use', () => {
  const db = freshDb('wrapped');
  transact(db, () => db.prepare('INSERT INTO t VALUES (1)').run());
  let wrapped = 0;
  aroundTransactions(db, (run) => {
    wrapped += 1;
    return run();
  });
  transact(db, () => db.prepare('INSERT INTO t VALUES (2)').run());
  transact(db, () => db.prepare('INSERT INTO t VALUES (3)').run());
  assert.equal(wrapped, 2);
  assert.deepEqual(rows(db), [1, 2, 3]);
});
