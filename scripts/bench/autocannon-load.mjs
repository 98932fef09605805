// Autocannon in its own process, as wrk would be: a load tool in the bench's own process would
// share its event loop (and autocannon's hooks) with every later measurement.
// stdin: {"targets": [{"url", "headers"}], "connections", "sliceMs", "rounds"} (the headers carry
// a bearer token, which argv would show to every user of the machine). Every round gives each
// target one slice of `sliceMs`, the order rotating by one each round, after one round that is not
// counted (warm-up). Short slices, many rounds: this VM's two vCPUs change speed every few
// seconds (performance.md, "The vCPUs change speed"), so slices far shorter than that give every
// target the same mix of fast and slow moments. Prints one JSON line, per target:
// {"ok": 2xx answers, "seconds", "errors", "non2xx"}, summed over the counted slices.
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

const { targets, connections, sliceMs, rounds } = JSON.parse(readFileSync(0, 'utf8'));
const totals = targets.map(() => ({ ok: 0, seconds: 0, errors: 0, non2xx: 0 }));
for (let round = -1; round < rounds; round += 1) {
  for (let turn = 0; turn < targets.length; turn += 1) {
    const index = (turn + Math.max(round, 0)) % targets.length;
    const { url, headers } = targets[index];
    // autocannon stops at its first sample tick after `duration`: ticks of a quarter slice.
    const result = await autocannon({ url, headers, connections, duration: sliceMs / 1000, sampleInt: sliceMs / 4 });
    if (round < 0) continue;
    const total = totals[index];
    total.ok += result['2xx'];
    total.seconds += result.duration;
    total.errors += result.errors;
    total.non2xx += result.non2xx;
  }
}
process.stdout.write(`${JSON.stringify(totals)}\n`);
