import { AuditLog } from '../audit/index.js';
import { systemClock } from '../core/index.js';
import { acquireInstanceLock, ensurePrivateDir, homePaths, prepareHome } from '../home/index.js';
import { loadOrCreateDaemonIdentity } from '../identity/index.js';
import { PeerRegistry, recoverOperator } from '../peers/index.js';
import { migrate, openDatabase } from '../store/index.js';

/** `covenantd --recover-operator`: needs the daemon stopped (it takes the instance lock). */
export async function runRecoverOperator(home: string): Promise<number> {
  const paths = homePaths(home);
  prepareHome(paths.home);
  const lock = await acquireInstanceLock(paths);
  try {
    const identity = loadOrCreateDaemonIdentity(paths);
    const db = openDatabase(paths.db);
    try {
      migrate(db);
      ensurePrivateDir(paths.peersDir);
      const prefix = recoverOperator(paths, db, new PeerRegistry(db, systemClock), new AuditLog(db, identity.keys, systemClock), identity.agentId);
      process.stdout.write(`operator token recovered (prefix ${prefix}) into ${paths.operatorToken}; start covenantd again\n`);
      return 0;
    } finally {
      db.close();
    }
  } finally {
    lock.release();
  }
}
