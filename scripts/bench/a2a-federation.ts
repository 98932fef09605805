// Federation round trip: a task from a peer on daemon A to the `hello` agent on daemon B and its
// result back in A's mailbox (A → B → A), vs the same client sending SendMessage straight to B.
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Role, TaskState } from '@a2a-js/sdk';
import { connectRemote } from '../../src/a2a/index.js';
import { IpcClient } from '../../src/ipc/index.js';
import { runCli } from '../../test/helpers/binaries.js';
import { writeFixtureAgent } from '../../test/budget/fixture-agent.js';
import { freePort, harnessEnv, startDaemon, stopDaemon, type HarnessDaemon } from '../harness/daemon.js';
import { alternateBatches, latencyRatio, percentile, type Ratio } from './stats.js';

function cliJson(env: NodeJS.ProcessEnv, args: string[]): Record<string, unknown> {
  const result = runCli([...args, '--json'], env);
  if (result.code !== 0 || !result.json) throw new Error(`covenant ${args.join(' ')}: ${result.stdout}${result.stderr}`);
  return result.json;
}

export async function benchA2aFederation(dir: string, count = 60): Promise<Ratio> {
  const daemons: HarnessDaemon[] = [];
  try {
    const bHome = join(dir, 'fed-b');
    const bPort = await freePort();
    const bEnv = harnessEnv(dir, bHome, { COVENANT_HTTP_BIND_ADDR: '127.0.0.1', COVENANT_HTTP_PORT: String(bPort), COVENANT_HTTP_RATE: '100000', COVENANT_HTTP_BURST: '100000', COVENANT_RUNTIME_BACKEND: 'trusted-local' });
    daemons.push(await startDaemon(bHome, bEnv, []));
    const bUrl = `http://127.0.0.1:${bPort}`;
    const packages = join(dir, 'fed-packages');
    mkdirSync(packages, { recursive: true });
    cliJson(bEnv, ['agents', 'install', writeFixtureAgent(packages, 'hello', { creditsPerHour: 0 })]);
    const fedA = String(cliJson(bEnv, ['peers', 'add', 'fed-a']).token_b58);
    for (const action of ['a2a.send.hello@agent', 'intent.submit']) cliJson(bEnv, ['capabilities', 'grant', action, '--to', 'fed-a@peer']);

    const aHome = join(dir, 'fed-a');
    const aEnv = harnessEnv(dir, aHome);
    const a = await startDaemon(aHome, aEnv, ['--no-http']);
    daemons.push(a);
    const tokenFile = join(dir, 'fed-a.token');
    writeFileSync(tokenFile, `${fedA}\n`, { mode: 0o600 });
    cliJson(aEnv, ['remotes', 'add', 'b', bUrl, '--token-file', tokenFile]);
    const alice = String(cliJson(aEnv, ['peers', 'add', 'alice']).token_b58);
    cliJson(aEnv, ['capabilities', 'grant', 'a2a.send.hello@b', '--to', 'alice@peer']);

    const client = await IpcClient.connect(a.sock);
    await client.authenticate(alice);
    const federated = async () => {
      const sent = await client.request({ kind: 'a2a_send', recipient: 'hello@b', text: 'ping' });
      if (sent.kind !== 'a2a_sent') throw new Error(`a2a_send answered ${JSON.stringify(sent)}`);
      const results = await client.request({ kind: 'a2a_results', wait_ms: 60_000, limit: 1 });
      const [task] = (results.tasks ?? []) as Array<{ result: { status: string } | null }>;
      if (task?.result?.status !== 'ok') throw new Error(`federated result: ${JSON.stringify(results)}`);
    };
    const { client: direct } = await connectRemote(bUrl, { token: fedA });
    const straight = async () => {
      const answer = await direct.sendMessage({
        tenant: '',
        message: { messageId: randomUUID(), contextId: '', taskId: '', role: Role.ROLE_USER, parts: [{ content: { $case: 'text', value: 'ping' }, metadata: undefined, filename: '', mediaType: 'text/plain' }], metadata: { covenant_recipient: 'hello@agent' }, extensions: [], referenceTaskIds: [] },
        configuration: { acceptedOutputModes: [], taskPushNotificationConfig: undefined, returnImmediately: false },
        metadata: undefined,
      });
      if (!('status' in answer) || answer.status?.state !== TaskState.TASK_STATE_COMPLETED) throw new Error(`direct SendMessage: ${JSON.stringify(answer)}`);
    };
    const [viaA, toB] = await alternateBatches(federated, straight, count, 10);
    client.close();
    return latencyRatio(
      { name: 'federation round trip A → B → A vs SendMessage straight to B (hello agent, p50)', subject: 'a2a send hello@b + a2a results on A', baseline: 'SendMessage to B (blocking)' },
      percentile(viaA, 50),
      percentile(toB, 50),
      'reported (no target set)',
    );
  } finally {
    for (const daemon of daemons.reverse()) await stopDaemon(daemon, 10_000);
  }
}
