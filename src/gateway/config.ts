import { CovenantError } from '../core/index.js';
import { DEFAULT_HTTP_HOST, DEFAULT_HTTP_PORT, type GatewayOptions } from './options.js';

/**
 * Gateway settings from the environment (SPEC 4): COVENANT_HTTP_BIND_ADDR (default 127.0.0.1),
 * COVENANT_HTTP_PORT (default 8421), COVENANT_HTTP_ORIGINS (comma-separated, default none).
 */
export function gatewayOptionsFromEnv(env: NodeJS.ProcessEnv): Pick<GatewayOptions, 'host' | 'port' | 'origins'> {
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
  return { host, port, origins };
}
