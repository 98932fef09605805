// The least any client can cost covenantd's dispatch (issue 15, item 2): one CommonJS file and
// node's own modules, no CLI code. It reads the operator token as the CLI does, writes
// `authenticate` and its request in one write (as the CLI does), reads the two answers and
// exits 0 when the request succeeded. argv: `ping`, or `intent <agent> <words...>`. Bench only.
'use strict';
const { connect } = require('node:net');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

const home = String(process.env.COVENANT_HOME);
const token = readFileSync(join(home, 'peers', 'operator.token'), 'utf8').trim();
const [command, agent, ...words] = process.argv.slice(2);
const request = command === 'ping' ? { kind: 'ping' } : { kind: 'submit_intent', agent, text: words.join(' ') };
const succeeded = (reply) => (command === 'ping' ? reply.kind === 'daemon_ping' : reply.status === 'ok');

const frame = (message) => {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length, 0);
  return Buffer.concat([header, body]);
};
const socket = connect(join(home, 'sock'));
socket.write(Buffer.concat([frame({ kind: 'authenticate', token_b58: token }), frame(request)]));
let buffered = Buffer.alloc(0);
const answers = [];
socket.on('data', (chunk) => {
  buffered = Buffer.concat([buffered, chunk]);
  while (buffered.length >= 4 && buffered.length >= 4 + buffered.readUInt32BE(0)) {
    const length = buffered.readUInt32BE(0);
    answers.push(JSON.parse(buffered.subarray(4, 4 + length).toString('utf8')));
    buffered = buffered.subarray(4 + length);
  }
  if (answers.length < 2) return;
  socket.destroy();
  if (!succeeded(answers[1])) {
    process.stderr.write(`${JSON.stringify(answers[1])}\n`);
    process.exitCode = 1;
  }
});
