import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { AUDIT_HEAD_FILE, readAuditHead, verifyAuditChain, type AuditFailure } from '../../src/audit/index.js';
import { chainHash, eventHash, GENESIS_CHAIN_HASH, headMessage } from '../../src/audit/hashing.js';
import { startDaemon } from '../../src/daemon/index.js';
import { generateSeed, keyPairFromSeed } from '../../src/identity/index.js';
import { signMark } from '../../src/audit/signed-mark.js';
import { recomputedEventHash, type AuditRow } from '../../src/audit/audit-log.js';
import { DaemonFixture } from '../helpers/daemon-fixture.js';
import { runCli, spawnDaemon } from '../helpers/binaries.js';
import { tempDir } from '../helpers/temp-home.js';
import { grantIfGated } from './audit-test-helpers.js';
import { probe } from '../helpers/audit-probe.js';

interface Report {
  events: number;
  checkpoints: number;
  valid: boolean;
  failures: AuditFailure[];
}


/** A daemon on a home the test can stop, edit with better-sqlite3 (as an attacker would) and start again. */
class Home extends DaemonFixture {
  get headPath(): string {
    return join(this.home, AUDIT_HEAD_FILE);
  }

  get pubkey(): string {
    return this.operator.pubkey;
  }

  /** `n` rows written by the daemon's own audit log. */
  rows(n: number): void {
    for (let i = 0; i < n; i += 1) this.ctx.audit.append(this.operator, probe(i));
  }

  /** `covenant audit checkpoint`: signs the newest row; returns its seq. */
  async checkpoint(): Promise<number> {
    const reply = await this.call({ kind: 'audit_checkpoint' });
    const checkpoint = reply.checkpoint as { seq: number } | null;
    assert.ok(checkpoint, JSON.stringify(reply));
    return checkpoint.seq;
  }

  /** What `covenant audit verify --json` prints under `report`. */
  async verify(): Promise<Report> {
    const reply = await this.call({ kind: 'audit_verify' });
    assert.equal(reply.kind, 'audit_integrity', JSON.stringify(reply));
    return reply.report as Report;
  }

  head() {
    return readAuditHead(this.headPath, this.pubkey);
  }

  /** Runs `edit` on the stopped daemon's database, then starts the daemon again. */
  async editStopped<T>(edit: (db: Database.Database) => T): Promise<T> {
    await this.stopDaemon();
    const db = new Database(this.paths.db);
    let result: T;
    try {
      result = edit(db);
    } finally {
      db.close();
    }
    this.daemon = await startDaemon({ home: this.home });
    return result;
  }
}

async function withHome(fn: (h: Home) => Promise<void>): Promise<void> {
  const h = await Home.start();
  try {
    await fn(h);
  } finally {
    await h.dispose();
  }
}

function lastSeq(db: Database.Database): number {
  return (db.prepare('SELECT max(seq) AS s FROM audit_events').get() as { s: number }).s;
}

/** Recomputes event and chain hashes from `fromSeq` on with the project's own functions (a capable attacker). */
function rechain(db: Database.Database, fromSeq: number): void {
  const before = db.prepare('SELECT chain_hash FROM audit_events WHERE seq < ? ORDER BY seq DESC LIMIT 1').get(fromSeq) as
    | { chain_hash: string }
    | undefined;
  let previous = before?.chain_hash ?? GENESIS_CHAIN_HASH;
  const update = db.prepare('UPDATE audit_events SET event_hash = ?, chain_hash = ? WHERE seq = ?');
  for (const row of db.prepare('SELECT * FROM audit_events WHERE seq >= ? ORDER BY seq').all(fromSeq) as AuditRow[]) {
    const event = recomputedEventHash(row);
    previous = chainHash(previous, event);
    update.run(event, previous, row.seq);
  }
}

/** Appends a row chained from the newest one, as the daemon does (no head refresh: the attacker's pen). */
function appendRaw(db: Database.Database, issuerPubkey: string, kind: string, payload: Record<string, unknown>): number {
  const newest = db.prepare('SELECT seq, chain_hash FROM audit_events ORDER BY seq DESC LIMIT 1').get() as { seq: number; chain_hash: string };
  const content = { seq: newest.seq + 1, id: `raw-${newest.seq + 1}`, timestamp_ms: Date.now(), issuer: { display: 'covenantd@local', pubkey: issuerPubkey }, kind, payload };
  const event = eventHash(content);
  db.prepare(
    'INSERT INTO audit_events (seq, id, timestamp_ms, issuer_display, issuer_pubkey, kind, payload, event_hash, chain_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  ).run(content.seq, content.id, content.timestamp_ms, content.issuer.display, issuerPubkey, kind, JSON.stringify(payload), event, chainHash(newest.chain_hash, event));
  return content.seq;
}

function failureAt(report: Report, seq: number, pattern: RegExp): AuditFailure {
  const found = report.failures.find((f) => f.seq === seq && pattern.test(f.reason));
  assert.ok(found, `expected a failure at seq ${seq} matching ${pattern}; got ${JSON.stringify(report.failures)}`);
  return found;
}

describe('audit verify detects multi-row truncation', () => {
  test('deleting rows 1..C where a checkpoint sits at C (no audit_purged row) is reported at C+1', async () => {
    await withHome(async (h) => {
      h.rows(20);
      const cut = await h.checkpoint();
      h.rows(20);
      assert.equal((await h.verify()).valid, true);
      await h.editStopped((db) => {
        db.prepare('DELETE FROM audit_events WHERE seq <= ?').run(cut);
        db.prepare('DELETE FROM audit_checkpoints WHERE seq < ?').run(cut);
      });
      const report = await h.verify();
      assert.equal(report.valid, false);
      failureAt(report, cut + 1, /rows before seq \d+ are missing and no signed purge anchor covers them/);
    });
  });

  test('deleting every row after a checkpoint, with the later checkpoints, is reported against the signed head', async () => {
    await withHome(async (h) => {
      h.rows(10);
      const kept = await h.checkpoint();
      h.rows(40);
      await h.checkpoint();
      h.rows(40);
      const end = await h.editStopped((db) => {
        const last = lastSeq(db);
        db.prepare('DELETE FROM audit_events WHERE seq > ?').run(kept);
        db.prepare('DELETE FROM audit_checkpoints WHERE seq > ?').run(kept);
        // Offline, before any restart: the table now ends exactly at the kept checkpoint.
        const offline = verifyAuditChain(db, h.pubkey) as Report;
        assert.equal(offline.valid, false);
        failureAt(offline, kept + 1, new RegExp(`ends at seq ${kept} but the signed audit head \\(audit\\.head\\) records seq ${last}`));
        return last;
      });
      const head = h.head();
      assert.equal(head.state === 'valid' && head.head.seq, end, 'the restarted daemon did not move the head back');
      const report = await h.verify();
      assert.equal(report.valid, false);
      const failure = report.failures.find((f) => f.reason.includes(`records seq ${end}`));
      assert.ok(failure && failure.seq > kept && failure.seq <= end, JSON.stringify(report.failures));
    });
  });

  test('delete, renumber and rehash with the later checkpoints dropped is reported at the head seq', async () => {
    await withHome(async (h) => {
      h.rows(10);
      await h.checkpoint();
      h.rows(20);
      const victim = (h.ctx.db.prepare("SELECT max(seq) AS s FROM audit_events WHERE kind = 'peers_purged'").get() as { s: number }).s - 5;
      await h.checkpoint();
      h.rows(20);
      const end = await h.editStopped((db) => {
        const last = lastSeq(db);
        db.prepare('DELETE FROM audit_events WHERE seq = ?').run(victim);
        const shift = db.prepare('UPDATE audit_events SET seq = seq - 1 WHERE seq = ?');
        for (let seq = victim + 1; seq <= last; seq += 1) shift.run(seq);
        rechain(db, victim);
        db.prepare('DELETE FROM audit_checkpoints WHERE seq >= ?').run(victim);
        const offline = verifyAuditChain(db, h.pubkey) as Report;
        assert.deepEqual(offline.failures.map((f) => f.seq), [last], JSON.stringify(offline.failures));
        failureAt(offline, last, new RegExp(`ends at seq ${last - 1} but the signed audit head`));

        // Padding the table back to the head's seq does not help: the row there is not the signed one.
        appendRaw(db, h.pubkey, 'peers_purged', { forged: true });
        const padded = verifyAuditChain(db, h.pubkey) as Report;
        assert.deepEqual(padded.failures.map((f) => f.seq), [last], JSON.stringify(padded.failures));
        failureAt(padded, last, /differs from the signed audit head \(audit\.head\): the rows up to it were rewritten, renumbered or replaced/);
        return last;
      });
      const report = await h.verify();
      assert.equal(report.valid, false);
      failureAt(report, end, /signed audit head/);
    });
  });

  test('a head signed by another key, or edited, is reported', async () => {
    await withHome(async (h) => {
      h.rows(5);
      const seq = await h.checkpoint();
      const stranger = keyPairFromSeed(generateSeed());
      const forged = signMark(stranger, headMessage, seq, '0'.repeat(64), Date.now());
      writeFileSync(h.headPath, JSON.stringify({ kind: 'audit_head', ...forged }));
      failureAt(await h.verify(), seq, /signature does not verify against the daemon key/);
      writeFileSync(h.headPath, '{"kind":"audit_head","seq":"x"}');
      failureAt(await h.verify(), 0, /not a valid head record/);
    });
  });
});

describe('what must still verify', () => {
  test('a clean chain across restarts: valid, and the head follows the shutdown checkpoint', async () => {
    await withHome(async (h) => {
      h.rows(30);
      await h.checkpoint();
      h.rows(5);
      // Read while the daemon is stopped: the shutdown signed the last row.
      const { end, head } = await h.editStopped((db) => ({ end: lastSeq(db), head: h.head() }));
      assert.equal(head.state, 'valid');
      assert.equal(head.state === 'valid' && head.head.seq, end, 'the shutdown signs the last row');
      h.rows(3);
      const report = await h.verify();
      assert.equal(report.valid, true, JSON.stringify(report.failures));
      await h.restart();
      assert.equal((await h.verify()).valid, true);
    });
  });

  test('a legitimate purge verifies, moves the head, and survives restarts', async () => {
    await withHome(async (h) => {
      grantIfGated(h.ctx, h.operator, 'audit.purge');
      h.rows(20);
      await h.checkpoint();
      await h.restart();
      const reply = await h.call({ kind: 'audit_purge', before_ms: Date.now() });
      assert.equal(reply.kind, 'audit_purged', JSON.stringify(reply));
      const cut = reply.cut_seq as number;
      assert.ok(cut > 20);
      // The head now names the audit_purged row (written after the purge committed).
      const purgedSeq = (h.ctx.db.prepare("SELECT max(seq) AS s FROM audit_events WHERE kind = 'audit_purged'").get() as { s: number }).s;
      const head = h.head();
      assert.ok(head.state === 'valid' && head.head.seq >= purgedSeq, JSON.stringify(head));
      assert.equal((await h.verify()).valid, true);
      await h.restart();
      h.rows(3);
      const report = await h.verify();
      assert.equal(report.valid, true, JSON.stringify(report.failures));
      assert.ok(report.events > 0);
    });
  });

  test('a database ahead of the head (killed after a commit, before the head write) verifies and the head catches up at start', async () => {
    await withHome(async (h) => {
      h.rows(10);
      const { head, last } = await h.editStopped((db) => {
        const before = readAuditHead(h.headPath, h.pubkey);
        assert.equal(before.state, 'valid');
        // Rows the daemon committed but never covered with a head: exactly what a SIGKILL leaves.
        for (let i = 0; i < 7; i += 1) appendRaw(db, h.pubkey, 'peers_purged', { after_head: i });
        const offline = verifyAuditChain(db, h.pubkey) as Report;
        assert.equal(offline.valid, true, JSON.stringify(offline.failures));
        return { head: before.state === 'valid' ? before.head.seq : 0, last: lastSeq(db) };
      });
      assert.ok(last > head);
      const now = h.head();
      assert.ok(now.state === 'valid' && now.head.seq >= last, `the start moved the head from ${head} to the newest row: ${JSON.stringify(now)}`);
      const report = await h.verify();
      assert.equal(report.valid, true, JSON.stringify(report.failures));
    });
  });

  test('a home from the previous version (no head file) gets one on first start and verifies from there', async () => {
    await withHome(async (h) => {
      h.rows(10);
      await h.stopDaemon();
      rmSync(h.headPath);
      h.daemon = await startDaemon({ home: h.home });
      assert.equal(h.head().state, 'valid', 'the first start writes the head');
      assert.equal((await h.verify()).valid, true);
    });
  });

  test('a previous-version purge (cut checkpoint, audit_purged row, no anchor) is adopted on first start; a bare checkpoint cut is not', async () => {
    await withHome(async (h) => {
      grantIfGated(h.ctx, h.operator, 'audit.purge');
      h.rows(10);
      const reply = await h.call({ kind: 'audit_purge', before_ms: Date.now() });
      assert.equal(reply.kind, 'audit_purged');
      h.rows(10);
      await h.stopDaemon();
      const forget = () => {
        rmSync(h.headPath);
        const db = new Database(h.paths.db);
        db.prepare("DELETE FROM daemon_state WHERE key = 'audit_purge_anchor'").run();
        db.close();
      };
      forget();
      h.daemon = await startDaemon({ home: h.home });
      assert.equal((await h.verify()).valid, true, 'the legacy cut was adopted');

      // Now the same shape without an audit_purged row: the checkpoint alone is not a purge.
      const cut = await h.checkpoint();
      h.rows(5);
      await h.stopDaemon();
      forget();
      const db = new Database(h.paths.db);
      db.prepare('DELETE FROM audit_events WHERE seq <= ?').run(cut);
      db.close();
      h.daemon = await startDaemon({ home: h.home });
      failureAt(await h.verify(), cut + 1, /no signed purge anchor/);
    });
  });

  test('a checkpoint inside a rolled-back transaction never becomes the head', async () => {
    await withHome(async (h) => {
      h.rows(3);
      await h.checkpoint();
      const committed = (h.ctx.db.prepare('SELECT max(seq) AS s FROM audit_events').get() as { s: number }).s;
      assert.throws(() =>
        h.ctx.db.transaction(() => {
          h.ctx.audit.append(h.operator, probe(0));
          h.ctx.audit.checkpoint();
          throw new Error('the change failed');
        })(),
      );
      await new Promise((resolve) => setImmediate(resolve)); // the deferred refresh runs after the transaction
      const head = h.head();
      assert.ok(head.state === 'valid' && head.head.seq <= committed, JSON.stringify(head));
      assert.equal((await h.verify()).valid, true);
      assert.equal(existsSync(`${h.headPath}.tmp-${process.pid}`), false);
      assert.match(readFileSync(h.headPath, 'utf8'), /"kind":"audit_head"/);
    });
  });
});

describe('covenant audit verify --json (compiled binaries)', () => {
  test('after a SIGKILL the head is never ahead and the chain verifies; a cut suffix exits 1 naming the head', async () => {
    const { dir, cleanup } = tempDir('covenant-audit-trunc-');
    const home = join(dir, 'home');
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir, COVENANT_HOME: home, COVENANT_LOG_LEVEL: 'warn' };
    const cli = (args: string[]) => runCli(args, env);
    let daemon = await spawnDaemon(home, env);
    try {
      for (let i = 0; i < 3; i += 1) assert.equal(cli(['intent', `before ${i}`]).code, 0);
      const checkpoint = cli(['audit', 'checkpoint', '--json']);
      assert.equal(checkpoint.code, 0, checkpoint.stderr);
      const kept = (checkpoint.json!.checkpoint as { seq: number }).seq;
      for (let i = 0; i < 3; i += 1) assert.equal(cli(['intent', `after ${i}`]).code, 0);
      await daemon.stop('SIGKILL');

      const db = new Database(join(home, 'covenant.db'));
      const pubkey = (db.prepare("SELECT issuer_pubkey AS p FROM audit_events WHERE kind = 'daemon_started'").get() as { p: string }).p;
      const killedAt = lastSeq(db);
      db.close();
      const head = readAuditHead(join(home, AUDIT_HEAD_FILE), pubkey);
      assert.ok(head.state === 'valid' && head.head.seq >= kept && head.head.seq <= killedAt, JSON.stringify({ head, kept, killedAt }));

      daemon = await spawnDaemon(home, env);
      const clean = cli(['audit', 'verify', '--json']);
      assert.equal(clean.code, 0, clean.stdout + clean.stderr);
      assert.equal((clean.json!.report as Report).valid, true);
      assert.equal(await daemon.stop(), 0);

      const edit = new Database(join(home, 'covenant.db'));
      const end = lastSeq(edit);
      edit.prepare('DELETE FROM audit_events WHERE seq > ?').run(kept);
      edit.prepare('DELETE FROM audit_checkpoints WHERE seq > ?').run(kept);
      edit.close();

      daemon = await spawnDaemon(home, env);
      const tampered = cli(['audit', 'verify', '--json']);
      assert.equal(tampered.code, 1, tampered.stdout + tampered.stderr);
      assert.equal(tampered.json!.kind, 'audit_integrity');
      const report = tampered.json!.report as Report;
      assert.equal(report.valid, false);
      const failure = report.failures.find((f) => f.reason.includes(`the signed audit head (audit.head) records seq ${end}`));
      assert.ok(failure && failure.seq > kept && failure.seq <= end, JSON.stringify(report.failures));
      const human = cli(['audit', 'verify']);
      assert.equal(human.code, 1);
      assert.match(human.stdout, new RegExp(`seq ${failure.seq}: the log ends at seq`));
    } finally {
      await daemon.stop();
      cleanup();
    }
  });
});
