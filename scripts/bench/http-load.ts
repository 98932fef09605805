import { Agent, request } from 'node:http';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** One keep-alive GET with node:http, the body read to the end; rejects on a non-200 answer. */
export function httpGet(agent: Agent, url: URL, headers: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`GET ${url.pathname} answered ${res.statusCode}`));
      res.on('data', () => undefined);
      res.on('end', () => resolve());
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** A keep-alive agent holding at most `connections` sockets. */
export function keepAliveAgent(connections: number): Agent {
  return new Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections });
}

const LOAD_SCRIPT = fileURLToPath(new URL('./autocannon-load.mjs', import.meta.url));

/**
 * Requests per second over `durationMs` from autocannon (the load tool issue 15 names), run in
 * a child process: `connections` keep-alive connections, each sending its next request as soon
 * as the previous answer is read. Throws unless every answer was a 2xx: a refusal must not
 * count as speed.
 */
export function requestsPerSecond(url: URL, headers: Record<string, string>, connections: number, durationMs: number): number {
  // The headers go on stdin: they carry the bearer token, which argv would show to every user.
  const out = execFileSync(process.execPath, [LOAD_SCRIPT, url.href, String(connections), String(durationMs)], { input: JSON.stringify(headers), encoding: 'utf8' });
  const result = JSON.parse(out) as { ok: number; errors: number; non2xx: number; seconds: number };
  if (result.errors > 0 || result.non2xx > 0) {
    throw new Error(`GET ${url.pathname} under load: ${result.errors} connection errors, ${result.non2xx} answers other than 2xx`);
  }
  return result.ok / result.seconds;
}
