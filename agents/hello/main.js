// Covenant reference agent "hello": reads one JSON intent line on stdin, answers with one
// JSON line on stdout. Uses only globals (no import/require), so it runs the same whether
// Node loads it as an ES module or as CommonJS.
'use strict';

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  input += chunk;
});
process.stdin.on('end', () => {
  const line = input.split('\n').find((l) => l.trim() !== '') ?? '';
  let text = '';
  try {
    const intent = JSON.parse(line);
    text = typeof intent.text === 'string' ? intent.text : '';
  } catch {
    process.stderr.write('hello: expected one JSON intent line on stdin\n');
    process.exitCode = 2;
    return;
  }
  process.stdout.write(JSON.stringify({ text: `hello from covenant: ${text}`, sources: [] }) + '\n');
});
