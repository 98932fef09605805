import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CovenantError } from '../core/errors.js';
import { homePaths, resolveHome } from '../home/layout.js';
import { IpcClient } from '../ipc/index.js';
import type { ParamsInput, RequestKind, ResponseOf } from '../protocol/index.js';
import type { GlobalFlags } from './output.js';

export function socketPath(flags: GlobalFlags): string {
  return homePaths(resolveHome(flags.home)).sock;
}

/** COVENANT_TOKEN, then --token-file, then the operator token in the home. */
export function readToken(flags: GlobalFlags): string {
  const fromEnv = process.env.COVENANT_TOKEN?.trim();
  if (fromEnv) return fromEnv;
  const path = flags.tokenFile ? resolve(flags.tokenFile) : homePaths(resolveHome(flags.home)).operatorToken;
  if (!existsSync(path)) {
    throw new CovenantError(
      'E_TOKEN_MISSING',
      flags.tokenFile
        ? `token file ${path} does not exist; check the path given to --token-file`
        : `no operator token at ${path}; start covenantd once to create it, or pass --token-file F or COVENANT_TOKEN`,
    );
  }
  const token = readFileSync(path, 'utf8').trim();
  if (!token) {
    throw new CovenantError(
      'E_TOKEN_MISSING',
      flags.tokenFile ? `token file ${path} is empty; put the peer's token in it` : `token file ${path} is empty; ${OPERATOR_RECOVERY}`,
    );
  }
  return token;
}

const OPERATOR_RECOVERY = 'stop covenantd and run `covenantd --recover-operator` (on the daemon\'s host) to mint a new operator token';

/**
 * The next step after a refused token. Only the operator can recover the operator token; a
 * peer (COVENANT_TOKEN, --token-file) was revoked or never registered and needs a new one.
 */
function refusedTokenAdvice(flags: GlobalFlags): string {
  const asPeer = Boolean(process.env.COVENANT_TOKEN?.trim()) || flags.tokenFile !== undefined;
  return asPeer
    ? "this token is revoked or unknown to this daemon: ask the operator for a new one (they mint it with `covenant peers add <name>`)"
    : `if the operator token was rotated, peers/operator.token holds the new one; after a forced self-revoke, ${OPERATOR_RECOVERY}`;
}

export interface DaemonSession {
  client: IpcClient;
  /** Who the token authenticated as. */
  self: { display: string; pubkey: string };
}

/** An authenticated connection with the caller's token; closed again when authentication fails. */
export async function openSession(flags: GlobalFlags, options: { timeoutMs?: number } = {}): Promise<DaemonSession> {
  const client = await IpcClient.connect(socketPath(flags), options);
  try {
    return { client, self: await client.authenticate(readToken(flags)) };
  } catch (error) {
    client.close();
    throw withTokenAdvice(flags, error);
  }
}

/** A refused token's error, with what to do next for whoever's token it is. */
function withTokenAdvice(flags: GlobalFlags, error: unknown): unknown {
  if (error instanceof CovenantError && error.code === 'E_AUTH_FAILED') {
    return new CovenantError('E_AUTH_FAILED', `${error.message}; ${refusedTokenAdvice(flags)}`);
  }
  return error;
}

/**
 * Connects, authenticates, sends one request and returns its typed answer; error answers throw.
 * The request goes in the same write as the token (`authenticateAndCall`): one round trip.
 */
export async function callDaemon<K extends RequestKind>(flags: GlobalFlags, kind: K, params: ParamsInput<K>): Promise<ResponseOf<K>> {
  const client = await IpcClient.connect(socketPath(flags));
  try {
    return (await client.authenticateAndCall(readToken(flags), kind, params)).reply;
  } catch (error) {
    throw withTokenAdvice(flags, error);
  } finally {
    client.close();
  }
}
