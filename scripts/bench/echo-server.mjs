// The bench baseline: a bare Node Unix-socket echo server with covenantd's framing, in its own process.
import { createServer } from 'node:net';

const path = process.argv[2];
const server = createServer((socket) => {
  let buffered = Buffer.alloc(0);
  socket.on('data', (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 4) {
      const length = buffered.readUInt32BE(0);
      if (buffered.length < 4 + length) break;
      const body = buffered.subarray(4, 4 + length);
      const message = JSON.parse(body.toString('utf8'));
      const reply = Buffer.from(JSON.stringify(message));
      const header = Buffer.alloc(4);
      header.writeUInt32BE(reply.length, 0);
      socket.write(Buffer.concat([header, reply]));
      buffered = buffered.subarray(4 + length);
    }
  });
});
server.listen(path, () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
