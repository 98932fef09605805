import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IpcClient } from '../../src/ipc/index.js';
import { spawnDaemon } from '../../test/helpers/binaries.js';
import { latencyRatio, msSince, percentile, type Ratio } from './stats.js';

const LEVELS = [1, 8, 16, 32];
/** A checked request: `tools_call echo` (capability check, tool receipt, two audit rows: one commit). */
const CHECKED = { kind: 'tools_call', name: 'echo', arguments: { text: 'bench' } } as const;

interface Side {
  label: string;
  sock: string;
  token: string;
}

async function clientsOf(side: Side, count: number): Promise<IpcClient[]> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const client = await IpcClient.connect(side.sock);
      await client.authenticate(side.token);
      return client;
    }),
  );
}

/** `total` checked requests spread over the clients, each client one at a time: throughput and latencies. */
async function load(clients: IpcClient[], total: number): Promise<{ seconds: number; latencies: number[] }> {
  const latencies: number[] = [];
  let left = total;
  const start = process.hrtime.bigint();
  await Promise.all(
    clients.map(async (client) => {
      while (left > 0) {
        left -= 1;
        const sent = process.hrtime.bigint();
        const reply = await client.request(CHECKED);
        if (reply.kind !== 'tool_result') throw new Error(`checked request refused: ${JSON.stringify(reply)}`);
        latencies.push(msSince(sent));
      }
    }),
  );
  return { seconds: msSince(start) / 1000, latencies };
}

/**
 * Group commit over real sockets: checked requests per second and p50 latency at 1, 8, 16 and
 * 32 clients, on two daemons started alike on fresh homes, one with group commit (the default)
 * and one with COVENANT_GROUP_COMMIT=off (every request commits by itself), alternating rounds.
 */
export async function benchGroupCommit(env: NodeJS.ProcessEnv, dir: string, perLevel = 1600, perClientPerRound = 10): Promise<Ratio[]> {
  const started = [];
  try {
    const sides: Side[] = [];
    for (const [label, setting] of [['group', 'on'], ['per-request', 'off']] as const) {
      const home = join(dir, `home-group-commit-${setting}`);
      const daemon = await spawnDaemon(home, { ...env, COVENANT_HOME: home, COVENANT_GROUP_COMMIT: setting });
      started.push(daemon);
      sides.push({ label, sock: daemon.sock, token: readFileSync(join(home, 'peers', 'operator.token'), 'utf8').trim() });
    }
    for (const side of sides) {
      const [operator] = await clientsOf(side, 1);
      await operator!.request({ kind: 'capabilities_grant', action: 'tool.call.echo' });
      operator!.close();
    }
    const ratios: Ratio[] = [];
    for (const level of LEVELS) {
      const pools = await Promise.all(sides.map((side) => clientsOf(side, level)));
      const seconds = [0, 0];
      const latencies: number[][] = [[], []];
      // Warm-up, then short alternating rounds (10 requests per client each: load on this shared
      // machine swings within seconds, so long rounds measure the swing, not the daemons).
      for (const clients of pools) await load(clients, level * 5);
      const rounds = Math.max(2, Math.round(perLevel / (level * perClientPerRound)));
      for (let round = 0; round < rounds; round += 1) {
        // Each side goes first in every other round.
        for (const i of round % 2 === 0 ? [0, 1] : [1, 0]) {
          const measured = await load(pools[i]!, perLevel / rounds);
          seconds[i]! += measured.seconds;
          latencies[i]!.push(...measured.latencies);
        }
      }
      for (const clients of pools) for (const client of clients) client.close();
      const [on, per] = seconds.map((s) => perLevel / s) as [number, number];
      ratios.push({
        name: `group commit, ${level} client${level === 1 ? '' : 's'} (throughput)`,
        subject: 'checked tools_call echo over the socket, group commit',
        baseline: 'the same, COVENANT_GROUP_COMMIT=off (one commit per request)',
        subjectValue: on,
        baselineValue: per,
        unit: 'req/s',
        ratio: on / per,
        target: level === 32 ? '>= 2' : 'reported',
        met: level === 32 ? on / per >= 2 : true,
      });
      ratios.push(
        latencyRatio(
          {
            name: `group commit, ${level} client${level === 1 ? '' : 's'} (p50)`,
            subject: 'checked tools_call echo over the socket, group commit',
            baseline: 'the same, COVENANT_GROUP_COMMIT=off',
          },
          percentile(latencies[0]!, 50),
          percentile(latencies[1]!, 50),
          level === 1 ? 1.1 : 'reported',
        ),
      );
    }
    return ratios;
  } finally {
    for (const daemon of started) await daemon.stop();
  }
}
