import { existsSync, readFileSync } from 'node:fs';
import { CovenantError } from '../core/index.js';
import { assertPrivateFile, ensurePrivateDir, writePrivateFile, type HomePaths } from '../home/index.js';
import { DAEMON_DISPLAY, type AgentId } from './agent-id.js';
import { generateSeed, keyPairFromSeed, type KeyPair } from './keys.js';

export interface DaemonIdentity {
  agentId: AgentId;
  keys: KeyPair;
}

/** Loads `identity/local.key` (a raw 32-byte seed, 0600), creating it on first start. */
export function loadOrCreateDaemonIdentity(paths: HomePaths): DaemonIdentity {
  ensurePrivateDir(paths.identityDir);
  if (!existsSync(paths.localKey)) writePrivateFile(paths.localKey, generateSeed());
  assertPrivateFile(paths.localKey);
  const seed = readFileSync(paths.localKey);
  if (seed.length !== 32) {
    throw new CovenantError(
      'E_HOME_UNSAFE',
      `${paths.localKey} is ${seed.length} bytes, not a 32-byte ed25519 seed; restore it from backup`,
    );
  }
  const keys = keyPairFromSeed(seed);
  return { agentId: { display: DAEMON_DISPLAY, pubkey: keys.publicKeyB58 }, keys };
}
