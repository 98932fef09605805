import { createConnection, type Socket } from 'node:net';
import { encodeFrame, FrameDecoder, type DecodedFrame } from '../../src/ipc/framing.js';

export type WaitResult = 'ok' | 'closed' | 'timeout';

/** A socket to covenantd that collects every frame it answers and notices when it closes. */
export class FuzzConnection {
  private readonly decoder = new FrameDecoder();
  readonly frames: DecodedFrame[] = [];
  closed = false;
  private wake: (() => void) | null = null;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk) => {
      this.frames.push(...this.decoder.push(chunk));
      this.notify();
    });
    socket.on('close', () => {
      this.closed = true;
      this.notify();
    });
    socket.on('error', () => undefined);
  }

  static open(path: string): Promise<FuzzConnection> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(path);
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new FuzzConnection(socket));
      });
    });
  }

  write(bytes: Buffer): void {
    if (!this.closed) this.socket.write(bytes);
  }

  /** Sends a harness request (not a fuzz frame) and returns its answer, or null. */
  async ask(message: unknown, timeoutMs: number): Promise<Record<string, unknown> | null> {
    const before = this.frames.length;
    this.write(encodeFrame(message));
    if ((await this.waitFrames(before + 1, timeoutMs)) !== 'ok') return null;
    const answer = this.frames[before]!;
    return answer.type === 'message' && typeof answer.value === 'object' && answer.value !== null ? (answer.value as Record<string, unknown>) : null;
  }

  /** Resolves when `count` frames have arrived in all, the socket closed, or the bound passed. */
  async waitFrames(count: number, timeoutMs: number): Promise<WaitResult> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length < count) {
      if (this.closed) return 'closed';
      const left = deadline - Date.now();
      if (left <= 0) return 'timeout';
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
    return 'ok';
  }

  /** Ends our side after the bytes are flushed (an unfinished frame stays unfinished). */
  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  private notify(): void {
    this.wake?.();
  }
}
