import type { HandlerGroup } from './handler.js';

export const daemonHandlers: HandlerGroup<'ping'> = {
  ping: () => ({ kind: 'daemon_ping', status: 'ok' }),
};
