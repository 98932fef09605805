import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { GroupCommit, openDatabase, type Db } from '../../src/store/index.js';
import { tempDir } from '../helpers/temp-home.js';

const { dir, cleanup } = tempDir('covenant-group-commit-');
after(cleanup);

let opened = 0;
/** The writer with its group commit, a second connection that sees only what is committed, and the COMMITs issued. */
function setup(inRequest = true): { db: Db; commits: GroupCommit; observer: Db; committed: () => number; commitStatements: () => number; close(): void } {
  opened += 1;
  const path = join(dir, `g${opened}.db`);
  const db = openDatabase(path);
  db.exec(`CREATE TABLE rows (id INTEGER PRIMARY KEY, v TEXT NOT NULL);
    CREATE TABLE parents (id INTEGER PRIMARY KEY);
    CREATE TABLE children (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES parents(id) DEFERRABLE INITIALLY DEFERRED);`);
  let commitStatements = 0;
  const exec = db.exec.bind(db);
  db.exec = (sql: string) => {
    if (sql === 'COMMIT') commitStatements += 1;
    return exec(sql);
  };
  const commits = new GroupCommit(db, true, () => inRequest);
  const observer = new Database(path, { readonly: true });
  return {
    db,
    commits,
    observer,
    committed: () => (observer.prepare('SELECT count(*) AS n FROM rows').get() as { n: number }).n,
    commitStatements: () => commitStatements,
    close: () => {
      observer.close();
      db.close();
    },
  };
}

test("a request's transactions of one turn commit once, and durable() resolves only after that commit", async () => {
  const s = setup();
  const insert = s.db.prepare('INSERT INTO rows (v) VALUES (?)');
  for (let i = 0; i < 10; i += 1) s.db.transaction(() => insert.run(`r${i}`))();
  let resolved = false;
  const durable = s.commits.durable().then(() => {
    resolved = true;
  });
  await Promise.resolve();
  assert.equal(resolved, false, 'not durable before the turn ends');
  assert.equal(s.committed(), 0, 'nothing committed before the turn ends');
  await durable;
  assert.equal(s.committed(), 10);
  assert.equal(s.commitStatements(), 1, 'ten transactions, one COMMIT');
  s.close();
});

test('a transaction that throws rolls back alone; the rest of its group commits', async () => {
  const s = setup();
  const insert = s.db.prepare('INSERT INTO rows (v) VALUES (?)');
  s.db.transaction(() => insert.run('kept'))();
  assert.throws(() =>
    s.db.transaction(() => {
      insert.run('dropped');
      throw new Error('refused');
    })(),
  );
  await s.commits.durable();
  assert.deepEqual(s.observer.prepare('SELECT v FROM rows').pluck().all(), ['kept']);
  s.close();
});

test("the transaction that opens a group, when it throws, takes the group down with only its own writes; the turn's next transaction opens another", async () => {
  const s = setup();
  const insert = s.db.prepare('INSERT INTO rows (v) VALUES (?)');
  assert.throws(
    () =>
      s.db.transaction(() => {
        insert.run('dropped');
        s.db.transaction(() => insert.run('dropped too'))();
        throw new Error('refused');
      })(),
    /refused/,
  );
  assert.equal(s.db.inTransaction, false, 'the group that held nothing else is rolled back');
  s.db.transaction(() => insert.run('kept'))();
  assert.throws(() =>
    s.db.transaction(() => {
      insert.run('dropped later');
      throw new Error('refused later');
    })(),
  );
  assert.equal(s.db.inTransaction, true, 'a later transaction rolls back alone, in its savepoint');
  await s.commits.durable();
  assert.deepEqual(s.observer.prepare('SELECT v FROM rows').pluck().all(), ['kept']);
  assert.equal(s.commitStatements(), 1);
  s.close();
});

test('the transaction that opens a group is refused, and rolled back, when its function returns a promise (as better-sqlite3 refuses one)', async () => {
  const s = setup();
  const insert = s.db.prepare('INSERT INTO rows (v) VALUES (?)');
  assert.throws(
    () =>
      s.db.transaction(() => {
        insert.run('dropped');
        return Promise.resolve();
      })(),
    /cannot return a promise/,
  );
  assert.equal(s.db.inTransaction, false);
  await s.commits.durable();
  assert.equal(s.committed(), 0);
  s.close();
});

test('a group whose COMMIT fails rejects durable() and leaves nothing', async () => {
  const s = setup();
  s.db.transaction(() => s.db.prepare('INSERT INTO rows (v) VALUES (?)').run('lost'))();
  // A deferred foreign key is checked at COMMIT: the group cannot commit.
  s.db.transaction(() => s.db.prepare('INSERT INTO children (id, parent) VALUES (1, 99)').run())();
  await assert.rejects(s.commits.durable(), /FOREIGN KEY/);
  assert.equal(s.db.inTransaction, false);
  assert.equal(s.committed(), 0);
  s.db.transaction(() => s.db.prepare('INSERT INTO rows (v) VALUES (?)').run('next'))();
  await s.commits.durable();
  assert.equal(s.committed(), 1, 'the next group commits');
  s.close();
});

test('outside a request a transaction commits at once, by itself', async () => {
  const s = setup(false);
  s.db.transaction(() => s.db.prepare('INSERT INTO rows (v) VALUES (?)').run('now'))();
  assert.equal(s.committed(), 1);
  assert.equal(s.db.inTransaction, false);
  await s.commits.durable();
  s.close();
});
