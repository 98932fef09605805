import { Agent, request } from 'node:http';
import { msSince } from './stats.js';

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

/**
 * Requests per second over `durationMs`: `connections` loops, each sending its next request
 * as soon as the previous answer is read, over one agent of as many keep-alive sockets (what
 * wrk or autocannon do, with node:http as the client).
 */
export async function requestsPerSecond(agent: Agent, url: URL, headers: Record<string, string>, connections: number, durationMs: number): Promise<number> {
  const start = process.hrtime.bigint();
  let done = 0;
  const loop = async () => {
    while (msSince(start) < durationMs) {
      await httpGet(agent, url, headers);
      done += 1;
    }
  };
  await Promise.all(Array.from({ length: connections }, loop));
  return done / (msSince(start) / 1000);
}
