/**
 * The `solana` chain backend (opt-in): posts a batch root in a memo transaction through plain
 * JSON-RPC over `fetch`, with no Solana SDK.
 *
 * - Readiness: `COVENANT_SOLANA_RPC_URL` and `COVENANT_SOLANA_KEYPAIR` set, the keypair file
 *   readable as a Solana CLI keypair (a JSON array of 64 numbers: the 32-byte ed25519 seed, then
 *   the 32-byte public key), and `getHealth` answering "ok".
 * - Posting: `getLatestBlockhash`, then a legacy transaction built by hand — one signer (the fee
 *   payer), one instruction to the SPL Memo program (v2) with no accounts and the memo text
 *   `covenant:receipt_batch:v1 <batch_id> <merkle_root>` — signed with the keypair and sent with
 *   `sendTransaction` (base64). The answer is the transaction signature (base58), which becomes
 *   the batch's `tx_sig`. Confirmation is not awaited: `sendTransaction` answers after preflight.
 *
 * The RPC URL may carry an API key, so messages name its host only; the keypair never appears.
 */
import { readFileSync } from 'node:fs';
import { CovenantError, fromBase58, toBase58 } from '../core/index.js';
import { keyPairFromSeed, signBytes, type KeyPair } from '../identity/keys.js';
import type { ChainBackend, ChainReadiness, SignedBatchHeader } from './backends.js';

/** The SPL Memo program, version 2. */
export const MEMO_PROGRAM_ID = 'MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr';
export const SOLANA_RPC_TIMEOUT_MS = 15_000;
/** A serialized transaction must fit one packet. */
export const SOLANA_PACKET_LIMIT = 1232;

export interface SolanaConfig {
  rpcUrl?: string | undefined;
  keypairPath?: string | undefined;
  fetch?: typeof fetch | undefined;
  timeoutMs?: number;
}

/** Solana's compact-u16 ("shortvec") length prefix. */
export function compactU16(value: number): Buffer {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff) throw new RangeError(`compact-u16 out of range: ${value}`);
  const bytes: number[] = [];
  let rest = value;
  for (;;) {
    const low = rest & 0x7f;
    rest >>= 7;
    if (rest === 0) {
      bytes.push(low);
      return Buffer.from(bytes);
    }
    bytes.push(low | 0x80);
  }
}

function key32(b58: string, what: string): Buffer {
  const raw = fromBase58(b58);
  if (!raw || raw.length !== 32) throw new CovenantError('E_BAD_REQUEST', `solana backend: ${what} is not a 32-byte base58 value`);
  return raw;
}

/** The legacy message of a one-signer transaction with one memo instruction. */
export function memoMessage(payer: Uint8Array, recentBlockhashB58: string, memo: string): Buffer {
  const data = Buffer.from(memo, 'utf8');
  return Buffer.concat([
    // header: 1 required signature, 0 read-only signed, 1 read-only unsigned (the memo program)
    Buffer.from([1, 0, 1]),
    compactU16(2),
    Buffer.from(payer),
    key32(MEMO_PROGRAM_ID, 'the memo program id'),
    key32(recentBlockhashB58, 'the recent blockhash'),
    compactU16(1), // one instruction
    Buffer.from([1]), // program id index: the memo program
    compactU16(0), // no accounts
    compactU16(data.length),
    data,
  ]);
}

/** Signs the memo message: wire bytes (signatures then message) and the signature (base58). */
export function memoTransaction(keys: KeyPair, recentBlockhashB58: string, memo: string): { wire: Buffer; signature: string } {
  const message = memoMessage(keys.publicKey, recentBlockhashB58, memo);
  const signature = signBytes(keys, message);
  const wire = Buffer.concat([compactU16(1), signature, message]);
  if (wire.length > SOLANA_PACKET_LIMIT) {
    throw new CovenantError('E_BAD_REQUEST', `solana backend: the memo transaction is ${wire.length} bytes, over the ${SOLANA_PACKET_LIMIT}-byte limit`);
  }
  return { wire, signature: toBase58(signature) };
}

export function batchMemo(batch: { batch_id: string; merkle_root: string }): string {
  return `covenant:receipt_batch:v1 ${batch.batch_id} ${batch.merkle_root}`;
}

/** Reads a Solana CLI keypair file; the error never shows the file's content. */
export function loadSolanaKeypair(path: string): KeyPair {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'is not readable JSON';
    throw new CovenantError('E_BAD_REQUEST', `COVENANT_SOLANA_KEYPAIR file ${path} ${reason}`);
  }
  if (!Array.isArray(parsed) || parsed.length !== 64 || !parsed.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) {
    throw new CovenantError('E_BAD_REQUEST', `COVENANT_SOLANA_KEYPAIR file ${path} is not a Solana keypair (a JSON array of 64 bytes)`);
  }
  const bytes = Buffer.from(parsed as number[]);
  const keys = keyPairFromSeed(bytes.subarray(0, 32));
  if (!keys.publicKey.equals(bytes.subarray(32))) {
    throw new CovenantError('E_BAD_REQUEST', `COVENANT_SOLANA_KEYPAIR file ${path}: its public half does not match its secret half`);
  }
  return keys;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host || 'the RPC endpoint';
  } catch {
    return 'the RPC endpoint';
  }
}

export class SolanaBackend implements ChainBackend {
  readonly name = 'solana' as const;
  readonly chain = 'solana';
  private readonly fetchImpl: typeof fetch;
  private nextId = 1;

  constructor(private readonly config: SolanaConfig) {
    this.fetchImpl = config.fetch ?? fetch;
  }

  private configProblems(): string[] {
    const missing: string[] = [];
    if (!this.config.rpcUrl) missing.push('COVENANT_SOLANA_RPC_URL (the Solana JSON-RPC endpoint)');
    else if (!/^https?:\/\//i.test(this.config.rpcUrl)) missing.push('COVENANT_SOLANA_RPC_URL must be an http(s) URL');
    if (!this.config.keypairPath) missing.push('COVENANT_SOLANA_KEYPAIR (path to a Solana CLI keypair file)');
    else {
      try {
        loadSolanaKeypair(this.config.keypairPath);
      } catch (error) {
        missing.push(error instanceof Error ? error.message : String(error));
      }
    }
    return missing;
  }

  async rpc<T>(method: string, params: unknown[] = []): Promise<T> {
    const url = this.config.rpcUrl!;
    const host = hostOf(url);
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: this.nextId++, method, params }),
        signal: AbortSignal.timeout(this.config.timeoutMs ?? SOLANA_RPC_TIMEOUT_MS),
      });
    } catch (error) {
      const reason = error instanceof Error && error.name === 'TimeoutError' ? 'timed out' : 'is unreachable';
      throw new CovenantError('E_AGENT_FAILED', `solana backend: ${method} at ${host} ${reason}`);
    }
    let body: { result?: T; error?: { code?: number; message?: string } };
    try {
      body = (await response.json()) as typeof body;
    } catch {
      throw new CovenantError('E_AGENT_FAILED', `solana backend: ${method} at ${host} answered HTTP ${response.status} without JSON`);
    }
    if (body.error) {
      const message = String(body.error.message ?? 'unknown error').slice(0, 300);
      throw new CovenantError('E_AGENT_FAILED', `solana backend: ${method} at ${host} failed: ${message}`);
    }
    if (!response.ok || !('result' in body)) {
      throw new CovenantError('E_AGENT_FAILED', `solana backend: ${method} at ${host} answered HTTP ${response.status} without a result`);
    }
    return body.result as T;
  }

  async readiness(): Promise<ChainReadiness> {
    const missing = this.configProblems();
    if (this.config.rpcUrl && /^https?:\/\//i.test(this.config.rpcUrl)) {
      try {
        const health = await this.rpc<string>('getHealth');
        if (health !== 'ok') missing.push(`a healthy Solana RPC node (getHealth at ${hostOf(this.config.rpcUrl)} answered ${JSON.stringify(health)})`);
      } catch (error) {
        missing.push(`a healthy Solana RPC node (${error instanceof Error ? error.message : String(error)})`);
      }
    }
    return { ready: missing.length === 0, missing };
  }

  async post(batch: SignedBatchHeader): Promise<{ tx_sig: string | null }> {
    const problems = this.configProblems();
    if (problems.length > 0) {
      throw new CovenantError('E_BAD_REQUEST', `solana backend is not configured: missing ${problems.join('; ')}; see \`covenant chain status\``);
    }
    const keys = loadSolanaKeypair(this.config.keypairPath!);
    const latest = await this.rpc<{ value?: { blockhash?: string } }>('getLatestBlockhash', [{ commitment: 'confirmed' }]);
    const blockhash = latest?.value?.blockhash;
    if (typeof blockhash !== 'string') throw new CovenantError('E_AGENT_FAILED', 'solana backend: getLatestBlockhash answered without a blockhash');
    const tx = memoTransaction(keys, blockhash, batchMemo(batch));
    const sent = await this.rpc<string>('sendTransaction', [tx.wire.toString('base64'), { encoding: 'base64', preflightCommitment: 'confirmed' }]);
    if (typeof sent !== 'string' || sent !== tx.signature) {
      throw new CovenantError('E_AGENT_FAILED', `solana backend: sendTransaction answered ${JSON.stringify(sent)}, not the transaction's signature`);
    }
    return { tx_sig: sent };
  }
}
