// The HTTP bench baseline's route: a bare hono app whose `GET /tools` answers the bytes of
// `bodyFile` with the header lines of the JSON object in `headersFile` (the gateway's own
// answer and headers, so both sides send the same bytes), served on @hono/node-server.
import { readFileSync } from 'node:fs';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

/** Serves the route on an ephemeral loopback port; `onPort` gets the port once listening. */
export function serveBareRoute(bodyFile, headersFile, onPort) {
  const body = readFileSync(bodyFile, 'utf8');
  const headers = JSON.parse(readFileSync(headersFile, 'utf8'));
  const app = new Hono();
  app.get('/tools', (c) => c.body(body, 200, headers));
  return serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => onPort(info.port));
}
