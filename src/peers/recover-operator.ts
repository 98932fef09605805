import type { AuditLog } from '../audit/index.js';
import type { HomePaths } from '../home/index.js';
import { writePrivateFile } from '../home/index.js';
import type { AgentId } from '../identity/index.js';
import type { Db } from '../store/index.js';
import type { PeerRegistry } from './registry.js';
import { mintToken, tokenPrefix } from './tokens.js';

/**
 * Offline recovery (daemon stopped, filesystem access to the home): mints a fresh operator
 * token, replaces peers/operator.token, and audits `operator_recovered`.
 */
export function recoverOperator(paths: HomePaths, db: Db, registry: PeerRegistry, audit: AuditLog, operator: AgentId): string {
  const token = mintToken();
  db.transaction(() => {
    registry.register(token, operator, 'operator');
    audit.append(operator, 'operator_recovered', { new_prefix: tokenPrefix(token) });
  })();
  writePrivateFile(paths.operatorToken, `${token}\n`);
  return tokenPrefix(token);
}
