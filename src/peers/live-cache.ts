import type { Db } from '../store/index.js';

const FUNCTION = 'covenant_peers_changed';
const listeners = new WeakMap<Db, Set<() => void>>();

/**
 * Calls `onChange` after every INSERT, UPDATE or DELETE on `peers` made through this
 * connection, whatever made it (the registry, a revocation, a test's raw SQL), and also when
 * the statement is later rolled back: a cache cleared needlessly only costs one lookup.
 * TEMP triggers live in this connection alone; covenantd is the only writer of its database
 * while it runs (the instance lock), so no other connection's change goes unseen.
 * Must be called once the `peers` table exists (after the migrations).
 */
export function watchPeers(db: Db, onChange: () => void): void {
  let set = listeners.get(db);
  if (!set) {
    const created = new Set<() => void>();
    set = created;
    listeners.set(db, created);
    db.function(FUNCTION, { deterministic: false, varargs: false }, () => {
      for (const listener of created) listener();
      return null;
    });
    for (const event of ['INSERT', 'UPDATE', 'DELETE']) {
      db.exec(`CREATE TEMP TRIGGER IF NOT EXISTS covenant_peers_${event.toLowerCase()} AFTER ${event} ON main.peers BEGIN SELECT ${FUNCTION}(); END`);
    }
  }
  set.add(onChange);
}
