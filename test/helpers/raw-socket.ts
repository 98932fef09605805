import { createConnection, type Socket } from 'node:net';
import { encodeFrame, FrameDecoder } from '../../src/ipc/index.js';

/** A bare socket for sending hand-made bytes and reading whatever frames come back. */
export class RawSocket {
  private readonly decoder = new FrameDecoder();
  readonly frames: unknown[] = [];
  closed = false;
  private waiters: Array<() => void> = [];

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk) => {
      for (const frame of this.decoder.push(chunk)) this.frames.push(frame.type === 'message' ? frame.value : frame);
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  static open(path: string): Promise<RawSocket> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(path);
      socket.once('error', reject);
      socket.once('connect', () => resolve(new RawSocket(socket)));
    });
  }

  send(message: unknown): void {
    this.socket.write(encodeFrame(message));
  }

  /** Resolves once the bytes are handed to the kernel. */
  sendBytes(bytes: Buffer): Promise<void> {
    return new Promise((resolve) => this.socket.write(bytes, () => resolve()));
  }

  /** Waits until `count` frames have arrived or the socket closed. */
  async waitFrames(count: number, timeoutMs = 60_000): Promise<unknown[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length < count && !this.closed) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${count} frames (got ${this.frames.length})`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
    return this.frames;
  }

  /** Waits for the close event (the deadline only bounds a test that would otherwise hang). */
  async waitClosed(timeoutMs = 60_000): Promise<void> {
    if (this.closed) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('socket did not close')), timeoutMs);
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  destroy(): void {
    this.socket.destroy();
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }
}

export function rawFrame(body: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length, 0);
  return Buffer.concat([header, body]);
}
