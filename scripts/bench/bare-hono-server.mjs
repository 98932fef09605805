// The HTTP bench baseline: a bare hono route on @hono/node-server, in its own process as
// covenantd is. `GET /tools` answers the bytes of the file named by argv[2] with the header
// lines of the JSON file named by argv[3] (the gateway's own answer and headers, so both sides
// send the same bytes and the load tool parses the same answer); prints the port once listening.
import { readFileSync } from 'node:fs';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const body = readFileSync(String(process.argv[2]), 'utf8');
const headers = JSON.parse(readFileSync(String(process.argv[3]), 'utf8'));
const app = new Hono();
app.get('/tools', (c) => c.body(body, 200, headers));
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => process.stdout.write(`${info.port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
