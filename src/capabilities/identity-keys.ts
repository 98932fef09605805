import type { Clock } from '../core/index.js';
import { generateSeed, keyPairFromSeed, type AgentId, type KeyPair } from '../identity/index.js';
import type { Db } from '../store/index.js';

/**
 * The keypairs the daemon holds for peers it registered (`identity_keys`). A delegated grant is
 * signed with the grantor peer's key, so `CapabilityService` takes `keyFor = (pk) =>
 * identityKeys.keyFor(pk)`. Seeds never leave this table: not in responses, logs or audit rows.
 */
export class IdentityKeyStore {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  /** Mints a fresh keypair for `display` and stores it; returns the peer's identity. */
  create(display: string): { agentId: AgentId; keys: KeyPair } {
    const seed = generateSeed();
    const keys = keyPairFromSeed(seed);
    this.put(display, seed);
    return { agentId: { display, pubkey: keys.publicKeyB58 }, keys };
  }

  /** Stores a seed under its public key (ignored when that key is already stored). */
  put(display: string, seed: Uint8Array): AgentId {
    const keys = keyPairFromSeed(seed);
    this.db
      .prepare('INSERT OR IGNORE INTO identity_keys (pubkey, display, seed, created_at) VALUES (?, ?, ?, ?)')
      .run(keys.publicKeyB58, display, Buffer.from(seed), this.clock.now());
    return { display, pubkey: keys.publicKeyB58 };
  }

  keyFor(pubkey: string): KeyPair | null {
    const row = this.db.prepare('SELECT seed FROM identity_keys WHERE pubkey = ?').get(pubkey) as { seed: Buffer } | undefined;
    if (!row || row.seed.length !== 32) return null;
    const keys = keyPairFromSeed(row.seed);
    return keys.publicKeyB58 === pubkey ? keys : null;
  }

  agentFor(pubkey: string): AgentId | null {
    const row = this.db.prepare('SELECT display FROM identity_keys WHERE pubkey = ?').get(pubkey) as { display: string } | undefined;
    return row ? { display: row.display, pubkey } : null;
  }
}
