/**
 * One authenticated socket connection to covenantd for `covenant mcp serve`, shared by every MCP
 * call: requests are queued (the socket answers one at a time, in order), and a lost connection
 * is opened again on the next request.
 */
import { DaemonRefusal, IpcClient } from '../../ipc/index.js';
import type { ParamsInput, RequestKind, ResponseOf } from '../../protocol/index.js';
import type { GlobalFlags } from '../output.js';
import { openSession } from '../session.js';

export class DaemonLink {
  private client: Promise<IpcClient> | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly flags: GlobalFlags) {}

  /** One request of the table; an error answer throws `DaemonRefusal`. */
  call<K extends RequestKind>(kind: K, params: ParamsInput<K>): Promise<ResponseOf<K>> {
    const run = this.queue.then(() => this.send(kind, params));
    this.queue = run.catch(() => undefined);
    return run;
  }

  close(): void {
    void this.client?.then((c) => c.close(), () => undefined);
    this.client = null;
  }

  private async send<K extends RequestKind>(kind: K, params: ParamsInput<K>): Promise<ResponseOf<K>> {
    this.client ??= this.open();
    const client = await this.client.catch((error: unknown) => {
      this.client = null;
      throw error;
    });
    try {
      return await client.call(kind, params);
    } catch (error) {
      if (error instanceof DaemonRefusal) throw error; // an answer: the connection is fine
      this.client = null; // the connection is gone: the next request opens a new one
      client.close();
      throw error;
    }
  }

  private async open(): Promise<IpcClient> {
    return (await openSession(this.flags, { timeoutMs: 600_000 })).client;
  }
}
