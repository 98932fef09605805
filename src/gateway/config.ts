import { CovenantError } from '../core/index.js';
import { DEFAULT_HTTP_HOST, DEFAULT_HTTP_PORT, type GatewayOptions } from './options.js';

export type EnvGatewayOptions = Pick<GatewayOptions, 'host' | 'port' | 'origins' | 'ratePerSecond' | 'burst' | 'a2aSendWaitMs'>;

/**
 * Gateway settings from the environment (SPEC 4): COVENANT_HTTP_BIND_ADDR (default 127.0.0.1),
 * COVENANT_HTTP_PORT (default 8421), COVENANT_HTTP_ORIGINS (comma-separated, default none),
 * and the rate limit COVENANT_HTTP_RATE (requests/s per token, default 50) and
 * COVENANT_HTTP_BURST (default 100); COVENANT_A2A_SEND_WAIT_MS bounds a blocking A2A SendMessage
 * (default 30 000).
 */
export function gatewayOptionsFromEnv(env: NodeJS.ProcessEnv): EnvGatewayOptions {
  const host = env.COVENANT_HTTP_BIND_ADDR?.trim() || DEFAULT_HTTP_HOST;
  const portText = env.COVENANT_HTTP_PORT?.trim();
  let port = DEFAULT_HTTP_PORT;
  if (portText !== undefined && portText !== '') {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65_535) {
      throw new CovenantError('E_BAD_REQUEST', `COVENANT_HTTP_PORT must be a port number 0-65535, got ${JSON.stringify(portText.slice(0, 16))}`);
    }
    port = Number(portText);
  }
  const origins = (env.COVENANT_HTTP_ORIGINS ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin.length > 0);
  for (const origin of origins) {
    if (origin === '*' || !/^https?:\/\/[^/\s]+$/.test(origin)) {
      throw new CovenantError(
        'E_BAD_REQUEST',
        `COVENANT_HTTP_ORIGINS lists ${JSON.stringify(origin.slice(0, 80))}: give exact origins like http://localhost:5173 (scheme://host[:port], no path, no "*")`,
      );
    }
  }
  const options: EnvGatewayOptions = { host, port, origins };
  const rate = positiveNumber(env, 'COVENANT_HTTP_RATE', false);
  if (rate !== undefined) options.ratePerSecond = rate;
  const burst = positiveNumber(env, 'COVENANT_HTTP_BURST', true);
  if (burst !== undefined) options.burst = burst;
  const sendWait = positiveNumber(env, 'COVENANT_A2A_SEND_WAIT_MS', true);
  if (sendWait !== undefined) options.a2aSendWaitMs = sendWait;
  return options;
}

function positiveNumber(env: NodeJS.ProcessEnv, name: string, integer: boolean): number | undefined {
  const text = env[name]?.trim();
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !(value > 0) || (integer && (!Number.isInteger(value) || value < 1)) || value > 1e9) {
    throw new CovenantError('E_BAD_REQUEST', `${name} must be a positive ${integer ? 'whole ' : ''}number, got ${JSON.stringify(text.slice(0, 16))}`);
  }
  return value;
}
