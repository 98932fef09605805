import { DEFAULT_DELIVER_TIMEOUT_MS } from '../a2a/index.js';
import type { Logger } from './logger.js';

/** COVENANT_A2A_DELIVER_TIMEOUT_MS (default 10 s): how long a remote daemon may go without answering a delivery. */
export function deliverTimeoutMs(env: NodeJS.ProcessEnv, log: Logger): number {
  const raw = env.COVENANT_A2A_DELIVER_TIMEOUT_MS;
  if (raw === undefined || raw.trim() === '') return DEFAULT_DELIVER_TIMEOUT_MS;
  const ms = Number(raw);
  if (Number.isInteger(ms) && ms > 0 && ms <= 3_600_000) return ms;
  log.warn({ value: raw.slice(0, 40) }, `COVENANT_A2A_DELIVER_TIMEOUT_MS must be a whole number of ms (1-3600000); using ${DEFAULT_DELIVER_TIMEOUT_MS}`);
  return DEFAULT_DELIVER_TIMEOUT_MS;
}
