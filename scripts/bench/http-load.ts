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

/** One server under load: where to send `GET`, with which headers. */
export interface LoadTarget {
  url: URL;
  headers: Record<string, string>;
}

/**
 * Requests per second of each target under autocannon (the load tool issue 15 names), run in a
 * child process: `connections` keep-alive connections, each sending its next request as soon
 * as the previous answer is read, the targets taking turns in `rounds` rounds of one `sliceMs`
 * slice each (autocannon-load.mjs). A target's figure is its 2xx answers over its slices' total
 * time. Throws unless every answer was a 2xx: a refusal must not count as speed.
 */
export function alternatingThroughput(targets: LoadTarget[], connections: number, sliceMs: number, rounds: number): number[] {
  const input = { targets: targets.map(({ url, headers }) => ({ url: url.href, headers })), connections, sliceMs, rounds };
  const out = execFileSync(process.execPath, [LOAD_SCRIPT], { input: JSON.stringify(input), encoding: 'utf8' });
  const totals = JSON.parse(out) as { ok: number; errors: number; non2xx: number; seconds: number }[];
  return totals.map((total, i) => {
    if (total.errors > 0 || total.non2xx > 0) {
      throw new Error(`GET ${targets[i]!.url.pathname} under load: ${total.errors} connection errors, ${total.non2xx} answers other than 2xx`);
    }
    return total.ok / total.seconds;
  });
}
