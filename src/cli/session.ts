import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CovenantError } from '../core/errors.js';
import { homePaths, resolveHome } from '../home/layout.js';
import { IpcClient } from '../ipc/client.js';
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
  if (!token) throw new CovenantError('E_TOKEN_MISSING', `token file ${path} is empty; run \`covenantd --recover-operator\``);
  return token;
}

/** Connects, authenticates, sends one request and returns its typed answer; error answers throw. */
export async function callDaemon<K extends RequestKind>(flags: GlobalFlags, kind: K, params: ParamsInput<K>): Promise<ResponseOf<K>> {
  const client = await IpcClient.connect(socketPath(flags));
  try {
    await client.authenticate(readToken(flags));
    return await client.call(kind, params);
  } finally {
    client.close();
  }
}
