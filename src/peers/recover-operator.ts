import type { AuditLog } from '../audit/index.js';
import type { HomePaths } from '../home/index.js';
import { writePrivateFile } from '../home/index.js';
import type { AgentId } from '../identity/index.js';
import type { Db } from '../store/index.js';
import { PeerQueries, type PeerRegistry } from './registry.js';
import { mintToken, tokenPrefix } from './tokens.js';

/**
 * Offline recovery (daemon stopped, filesystem access to the home): mints a fresh operator
 * token, replaces peers/operator.token, revokes every other operator token that is still live
 * (after recovery the token in the file is the only one), and audits `operator_recovered`.
 * The file is written first, as `peers rotate` does: if the process dies before the
 * transaction, the next start registers the file's token.
 */
export function recoverOperator(paths: HomePaths, db: Db, registry: PeerRegistry, audit: AuditLog, operator: AgentId): string {
  const token = mintToken();
  writePrivateFile(paths.operatorToken, `${token}\n`);
  db.transaction(() => {
    const queries = new PeerQueries(db);
    const now = Date.now();
    const revoked = registry.liveOperatorTokens().map((peer) => {
      queries.revoke(peer.token_hash, now);
      return peer.token_prefix;
    });
    registry.register(token, operator, 'operator');
    audit.append(operator, 'operator_recovered', { new_prefix: tokenPrefix(token), revoked_prefixes: revoked });
  })();
  return tokenPrefix(token);
}
