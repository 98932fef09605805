// One autocannon run in its own process, as wrk would be: a load tool in the bench's own
// process would share its event loop (and autocannon's hooks) with every later measurement.
// argv: url, connections, duration in ms, headers as JSON. Prints one JSON line:
// {"ok": answers that were 2xx, "errors", "non2xx", "seconds"}.
import autocannon from 'autocannon';

const [url, connections, durationMs, headers] = process.argv.slice(2);
const result = await autocannon({
  url: String(url),
  connections: Number(connections),
  duration: Number(durationMs) / 1000,
  headers: JSON.parse(String(headers)),
});
process.stdout.write(`${JSON.stringify({ ok: result['2xx'], errors: result.errors, non2xx: result.non2xx, seconds: result.duration })}\n`);
