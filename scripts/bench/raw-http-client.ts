import { connect, type Socket } from 'node:net';

const HEAD_END = '\r\n\r\n';
const CONTENT_LENGTH = /\r\ncontent-length:[ \t]*(\d+)[ \t]*(?=\r\n|$)/i;

/**
 * A keep-alive HTTP/1.1 client on one socket that writes a GET's bytes and reads the answer
 * (status line, headers, a Content-Length body): what a request costs the server and the
 * loopback, without the cost of a client library (node:http's ClientRequest and IncomingMessage
 * stream, or fetch) on the caller's side. One request at a time.
 */
export class RawHttpClient {
  private buffered: Buffer = Buffer.alloc(0);
  private waiter: { resolve: () => void; reject: (error: Error) => void } | null = null;
  private closedError: Error | null = null;

  private constructor(
    private readonly socket: Socket,
    private readonly request: Buffer,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new Error('the server closed the connection')));
  }

  /** Connects to `url`'s host; every `get()` then asks for `url`'s path with these headers. */
  static async connect(url: URL, headers: Record<string, string>): Promise<RawHttpClient> {
    const socket = connect(Number(url.port), url.hostname);
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const lines = [`GET ${url.pathname}${url.search} HTTP/1.1`, `host: ${url.host}`, ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)];
    return new RawHttpClient(socket, Buffer.from(`${lines.join('\r\n')}${HEAD_END}`, 'latin1'));
  }

  /** One request; resolves once the whole body is read, rejects on an answer other than 200. */
  get(): Promise<void> {
    if (this.closedError) return Promise.reject(this.closedError);
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
      this.socket.write(this.request);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const end = this.buffered.indexOf(HEAD_END);
    if (end < 0) return;
    const head = this.buffered.toString('latin1', 0, end);
    const length = CONTENT_LENGTH.exec(head)?.[1];
    if (length === undefined) return this.fail(new Error(`an answer without Content-Length: ${head.split('\r\n', 1)[0]}`));
    const total = end + HEAD_END.length + Number(length);
    if (this.buffered.length < total) return;
    this.buffered = this.buffered.subarray(total);
    const waiter = this.waiter;
    this.waiter = null;
    if (!waiter) return this.fail(new Error('an answer nobody asked for'));
    if (head.startsWith('HTTP/1.1 200 ')) waiter.resolve();
    else waiter.reject(new Error(`GET answered ${head.split('\r\n', 1)[0]}`));
  }

  private fail(error: Error): void {
    if (this.closedError) return;
    this.closedError = error;
    this.socket.destroy();
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.reject(error);
  }
}
