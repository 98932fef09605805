import { request } from 'node:http';

export interface HttpAttempt {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer | null;
}

export type HttpResult =
  | { type: 'response'; status: number; contentType: string | undefined; body: Buffer; stream: boolean }
  /** The connection failed or was cut before a full answer (a crash shows up like this). */
  | { type: 'error'; message: string }
  | { type: 'timeout' }
  /** Node refused to send it (an invalid header or path): nothing reached the daemon. */
  | { type: 'unsendable'; message: string };

const MAX_BODY = 32 * 1024 * 1024;

/** One request on its own connection to 127.0.0.1:port; an SSE answer is cut after its headers. */
export function sendHttp(port: number, attempt: HttpAttempt, timeoutMs: number): Promise<HttpResult> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: HttpResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    let req: ReturnType<typeof request>;
    try {
      req = request({ host: '127.0.0.1', port, method: attempt.method, path: attempt.path, headers: attempt.headers, agent: false });
    } catch (error) {
      resolve({ type: 'unsendable', message: error instanceof Error ? error.message : String(error) });
      return;
    }
    const timer = setTimeout(() => {
      finish({ type: 'timeout' });
      req.destroy();
    }, timeoutMs);
    req.on('error', (error) => finish({ type: 'error', message: error.message }));
    req.on('response', (res) => {
      const contentType = res.headers['content-type'];
      if (contentType?.startsWith('text/event-stream')) {
        finish({ type: 'response', status: res.statusCode ?? 0, contentType, body: Buffer.alloc(0), stream: true });
        req.destroy();
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_BODY) chunks.push(chunk);
      });
      res.on('end', () => finish({ type: 'response', status: res.statusCode ?? 0, contentType, body: Buffer.concat(chunks), stream: false }));
      res.on('error', (error) => finish({ type: 'error', message: error.message }));
    });
    if (attempt.body) req.end(attempt.body);
    else req.end();
  });
}
