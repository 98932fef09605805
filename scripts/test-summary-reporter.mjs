// A node:test reporter that writes one JSON object: the runner's own closing summary (the
// `tests N`, `pass N`, ... lines every reporter prints) and the names of the tests that ran.
// scripts/run-tests.mjs saves it per suite; scripts/test-stats.mjs reads it, so the counts are
// the runner's, not a guess from the source.
const SUMMARY_LINE = /^(tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) (\d+(?:\.\d+)?)$/;

export default async function* summaryReporter(source) {
  const counts = {};
  const tests = [];
  for await (const event of source) {
    if (event.type === 'test:diagnostic' && event.data.nesting === 0) {
      const match = SUMMARY_LINE.exec(event.data.message);
      if (match) counts[match[1]] = Number(match[2]);
    } else if ((event.type === 'test:pass' || event.type === 'test:fail') && event.data.details?.type !== 'suite') {
      tests.push(event.data.name);
    }
  }
  yield `${JSON.stringify({ kind: 'test_summary', counts, tests })}\n`;
}
