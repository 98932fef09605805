import { existsSync, readFileSync, unlinkSync } from 'node:fs';
import type { AuditLog } from '../audit/index.js';
import type { AgentId } from '../identity/index.js';
import { assertPrivateFile, ensurePrivateDir, type HomePaths } from '../home/index.js';
import type { Db } from '../store/index.js';
import { PeerQueries, type PeerRegistry } from './registry.js';
import { leftoverTokenFiles, promoteTokenFile, replaceTokenFile, type StepHook } from './token-file.js';
import { hashToken, mintToken, tokenPrefix } from './tokens.js';

/** `unknown`: the file holds a token the database never registered while another is live. */
export type OperatorTokenState = 'minted' | 'present' | 'revoked' | 'missing' | 'unknown';

function liveOperator(registry: PeerRegistry, token: string): boolean {
  const known = token ? registry.byHash(hashToken(token)) : null;
  return known !== null && known.role === 'operator' && known.revoked_at === null;
}

function readTokenFile(path: string): string | null {
  if (!existsSync(path)) return null;
  assertPrivateFile(path);
  return readFileSync(path, 'utf8').trim();
}

/**
 * Finishes or undoes a token-file replacement that a crash interrupted (see replaceTokenFile):
 * a leftover `operator.token.tmp-<pid>` whose token is the live operator token is renamed into
 * place when the file does not already hold a live one; every other leftover is deleted.
 */
export function reconcileOperatorTokenFile(paths: HomePaths, registry: PeerRegistry): void {
  let fileLive = liveOperator(registry, readTokenFile(paths.operatorToken) ?? '');
  for (const leftover of leftoverTokenFiles(paths.operatorToken)) {
    if (!fileLive && liveOperator(registry, leftover.token)) {
      promoteTokenFile(leftover.file, paths.operatorToken);
      fileLive = true;
    } else {
      unlinkSync(leftover.file);
    }
  }
}

/**
 * Start-up: reconciles leftovers, then checks `peers/operator.token`. First start mints the
 * token (file and registration committed together, as in rotation). A file token the database
 * does not know is registered only when no operator token is live (a start that an older
 * version interrupted between writing and registering); with a live one it is reported
 * `unknown` and never registered: a second live operator token must not appear.
 */
export function ensureOperatorToken(
  paths: HomePaths,
  db: Db,
  registry: PeerRegistry,
  audit: AuditLog,
  operator: AgentId,
): OperatorTokenState {
  const register = (token: string) =>
    db.transaction(() => {
      registry.register(token, operator, 'operator');
      audit.append(operator, { kind: 'operator_token_minted', payload: { token_prefix: tokenPrefix(token) } });
    })();
  ensurePrivateDir(paths.peersDir);
  reconcileOperatorTokenFile(paths, registry);
  const token = readTokenFile(paths.operatorToken);
  const anyLive = registry.liveOperatorTokens().length > 0;
  if (token) {
    const known = registry.byHash(hashToken(token));
    if (known) return known.revoked_at === null ? 'present' : 'revoked';
    if (anyLive) return 'unknown';
    register(token);
    return 'minted';
  }
  if (anyLive) return token === null ? 'missing' : 'unknown';
  const minted = mintToken();
  replaceTokenFile(paths.operatorToken, minted, () => register(minted));
  return 'minted';
}

export interface RotationResult {
  token: string;
  oldPrefix: string;
  newPrefix: string;
  /** Every token revoked by the rotation (the caller's first): their connections must close. */
  revokedHashes: string[];
}

/**
 * `peers rotate`: one transaction registers the new token and revokes the caller's (and any
 * other live operator token: afterwards exactly one is live), between an fsynced temporary
 * file and its rename (replaceTokenFile). The old token stops working at the commit, the
 * instant the new one starts.
 */
export function rotateOperatorToken(
  deps: { paths: HomePaths; db: Db; registry: PeerRegistry; audit: AuditLog; operator: AgentId; now: () => number },
  caller: { agentId: AgentId; tokenHash: string; tokenPrefix: string },
  onStep?: StepHook,
): RotationResult {
  const token = mintToken();
  const revokeAt = deps.now();
  const revokedHashes = replaceTokenFile(
    deps.paths.operatorToken,
    token,
    () =>
      deps.db.transaction(() => {
        const queries = new PeerQueries(deps.db);
        const others = deps.registry.liveOperatorTokens().filter((peer) => peer.token_hash !== caller.tokenHash);
        queries.revoke(caller.tokenHash, revokeAt);
        for (const other of others) queries.revoke(other.token_hash, revokeAt);
        deps.registry.register(token, deps.operator, 'operator');
        deps.audit.append(caller.agentId, { kind: 'operator_token_rotated', payload: {
          old_prefix: caller.tokenPrefix,
          new_prefix: tokenPrefix(token),
          ...(others.length > 0 ? { also_revoked_prefixes: others.map((peer) => peer.token_prefix) } : {}),
        } });
        return [caller.tokenHash, ...others.map((peer) => peer.token_hash)];
      })(),
    onStep,
  );
  return { token, oldPrefix: caller.tokenPrefix, newPrefix: tokenPrefix(token), revokedHashes };
}
