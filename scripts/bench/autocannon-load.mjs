// One autocannon run in its own process, as wrk would be: a load tool in the bench's own
// process would share its event loop (and autocannon's hooks) with every later measurement.
// argv: url, connections, duration in ms; stdin: the request headers as JSON (they carry a
// bearer token, which argv would show to every user of the machine). Prints one JSON line:
// {"ok": answers that were 2xx, "errors", "non2xx", "seconds"}.
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

const [url, connections, durationMs] = process.argv.slice(2);
const result = await autocannon({
  url: String(url),
  connections: Number(connections),
  duration: Number(durationMs) / 1000,
  headers: JSON.parse(readFileSync(0, 'utf8')),
});
process.stdout.write(`${JSON.stringify({ ok: result['2xx'], errors: result.errors, non2xx: result.non2xx, seconds: result.duration })}\n`);
