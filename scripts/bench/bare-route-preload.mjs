// Loaded into covenantd with `node --import` by the bench only (never by covenantd itself):
// the bare route of bare-route.mjs served from inside covenantd's own process, beside its
// gateway, so the bench can tell what the process costs any route from what the gateway's
// code costs. The files and the port file are named by BENCH_BARE_ROUTE_DIR (not a COVENANT_
// variable: those reach agents). The server does not keep covenantd alive.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serveBareRoute } from './bare-route.mjs';

const dir = process.env.BENCH_BARE_ROUTE_DIR;
if (dir) {
  const server = serveBareRoute(join(dir, 'tools-answer.json'), join(dir, 'tools-answer-headers.json'), (port) => writeFileSync(join(dir, 'in-process.port'), String(port)));
  server.unref();
}
