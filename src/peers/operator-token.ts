import { existsSync, readFileSync } from 'node:fs';
import type { AuditLog } from '../audit/index.js';
import type { AgentId } from '../identity/index.js';
import { assertPrivateFile, ensurePrivateDir, writePrivateFile, type HomePaths } from '../home/index.js';
import type { Db } from '../store/index.js';
import type { PeerRegistry } from './registry.js';
import { hashToken, mintToken, tokenPrefix } from './tokens.js';

export type OperatorTokenState = 'minted' | 'present' | 'revoked' | 'missing';

/**
 * First start mints the operator token into `peers/operator.token` (0600). Later starts check
 * the file's permissions; a file whose token was minted but never registered (a crash between
 * the two steps) is registered now.
 */
export function ensureOperatorToken(
  paths: HomePaths,
  db: Db,
  registry: PeerRegistry,
  audit: AuditLog,
  operator: AgentId,
): OperatorTokenState {
  const registerMinted = (token: string): OperatorTokenState => {
    db.transaction(() => {
      registry.register(token, operator, 'operator');
      audit.append(operator, 'operator_token_minted', { token_prefix: tokenPrefix(token) });
    })();
    return 'minted';
  };
  ensurePrivateDir(paths.peersDir);
  if (existsSync(paths.operatorToken)) {
    assertPrivateFile(paths.operatorToken);
    const token = readFileSync(paths.operatorToken, 'utf8').trim();
    const known = registry.byHash(hashToken(token));
    if (known) return known.revoked_at === null ? 'present' : 'revoked';
    return registerMinted(token);
  }
  if (registry.liveOperatorTokens().length > 0) return 'missing';
  const token = mintToken();
  writePrivateFile(paths.operatorToken, `${token}\n`);
  return registerMinted(token);
}
