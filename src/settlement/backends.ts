/**
 * Chain backends (SPEC 15): where a flushed batch's signed root is anchored.
 *
 * - `local` (default): the batch is signed by the daemon key and kept in SQLite; nothing leaves
 *   the machine; `tx_sig` is null.
 * - `solana` (opt-in): also posts the batch root in a memo transaction through the JSON-RPC API
 *   of `COVENANT_SOLANA_RPC_URL`, paid and signed by the keypair file `COVENANT_SOLANA_KEYPAIR`;
 *   `tx_sig` is the transaction signature. See solana.ts.
 *
 * Selection: `COVENANT_CHAIN_BACKEND=local|solana` when set; otherwise `solana` when
 * `COVENANT_SOLANA_RPC_URL` is set, else `local`. A configured but unusable solana backend is
 * reported (ready false, `missing` names what is missing) and refuses to flush; it never falls
 * back to local silently.
 */
import { CovenantError } from '../core/errors.js';
import type { BatchHeader } from './proof.js';
import { SolanaBackend } from './solana.js';

export type ChainBackendName = 'local' | 'solana';

export interface ChainReadiness {
  ready: boolean;
  /** What is missing before the backend can post (empty when ready). */
  missing: string[];
}

export interface SignedBatchHeader extends BatchHeader {
  signature: string;
}

export interface ChainBackend {
  readonly name: ChainBackendName;
  /** The `chain` value stored on batches and receipts. */
  readonly chain: string;
  readiness(): Promise<ChainReadiness>;
  /** Anchors a signed batch root; resolves to the chain's transaction signature (null: local). */
  post(batch: SignedBatchHeader): Promise<{ tx_sig: string | null }>;
}

export class LocalBackend implements ChainBackend {
  readonly name = 'local' as const;
  readonly chain = 'local';

  async readiness(): Promise<ChainReadiness> {
    return { ready: true, missing: [] };
  }

  async post(): Promise<{ tx_sig: string | null }> {
    return { tx_sig: null };
  }
}

/** The backend the environment asks for (see the file comment). */
export function chainBackendFromEnv(env: NodeJS.ProcessEnv = process.env, options: { fetch?: typeof fetch } = {}): ChainBackend {
  const explicit = env.COVENANT_CHAIN_BACKEND?.trim();
  const rpcUrl = env.COVENANT_SOLANA_RPC_URL?.trim() || undefined;
  const name = explicit || (rpcUrl ? 'solana' : 'local');
  if (name === 'local') return new LocalBackend();
  if (name === 'solana') {
    return new SolanaBackend({ rpcUrl, keypairPath: env.COVENANT_SOLANA_KEYPAIR?.trim() || undefined, fetch: options.fetch });
  }
  throw new CovenantError('E_BAD_REQUEST', `COVENANT_CHAIN_BACKEND=${JSON.stringify(name)} is not a chain backend; use local or solana`);
}
