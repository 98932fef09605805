import type { AuditLog } from '../audit/index.js';
import type { HomePaths } from '../home/index.js';
import type { AgentId } from '../identity/index.js';
import type { Db } from '../store/index.js';
import { reconcileOperatorTokenFile } from './operator-token.js';
import { PeerQueries, type PeerRegistry } from './registry.js';
import { replaceTokenFile, type StepHook } from './token-file.js';
import { mintToken, tokenPrefix } from './tokens.js';

/**
 * Offline recovery (daemon stopped, filesystem access to the home): mints a fresh operator
 * token, replaces peers/operator.token, revokes every other operator token that is still live
 * (after recovery the token in the file is the only one), and audits `operator_recovered`.
 * Crash-safe like `peers rotate` (replaceTokenFile): the switch happens at the commit, and a
 * leftover temporary file is finished or removed at the next start (or the next recovery).
 */
export function recoverOperator(
  paths: HomePaths,
  db: Db,
  registry: PeerRegistry,
  audit: AuditLog,
  operator: AgentId,
  onStep?: StepHook,
): string {
  reconcileOperatorTokenFile(paths, registry);
  const token = mintToken();
  replaceTokenFile(
    paths.operatorToken,
    token,
    () =>
      db.transaction(() => {
        const queries = new PeerQueries(db);
        const now = Date.now();
        const revoked = registry.liveOperatorTokens().map((peer) => {
          queries.revoke(peer.token_hash, now);
          return peer.token_prefix;
        });
        registry.register(token, operator, 'operator');
        audit.append(operator, { kind: 'operator_recovered', payload: { new_prefix: tokenPrefix(token), revoked_prefixes: revoked } });
      })(),
    onStep,
  );
  return tokenPrefix(token);
}
