// The HTTP bench baseline in its own process, as covenantd is: the bare route of
// bare-route.mjs for the files named by argv[2] (body) and argv[3] (header lines); prints the
// port once listening.
import { serveBareRoute } from './bare-route.mjs';

const server = serveBareRoute(String(process.argv[2]), String(process.argv[3]), (port) => process.stdout.write(`${port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
