import { InvalidArgumentError, Option, type Command } from 'commander';
import { A2A_MAX_LIMIT, A2A_MAX_WAIT_MS, A2A_RESULT_STATUSES, A2A_TASK_STATES } from '../../protocol/constants.js';
import { action, jsonCommand } from '../action.js';
import { wholeNumber } from '../parsers.js';

const load = () => import('../commands/a2a.js');

export interface A2aSendFlags {
  deadlineMs?: number;
  idempotencyKey?: string;
  taskKind?: string;
  parent?: string;
}
export interface A2aRespondFlags {
  status: (typeof A2A_RESULT_STATUSES)[number];
  text?: string;
  jsonValue?: unknown;
  message?: string;
  leaseId?: string;
}
export interface A2aStatusFlags {
  limit?: number;
  state?: (typeof A2A_TASK_STATES)[number];
  minLeaseAgeMs?: number;
}
export interface A2aRetryStaleFlags {
  enable?: boolean;
  disable?: boolean;
  minLeaseAgeMs?: number;
  maxAttempts?: number;
}

/** `--json-value J`: any JSON value; anything else is a usage error (exit 2). */
function jsonValue(value: string): unknown {
  try {
    return JSON.parse(value) as unknown;
  } catch {
    throw new InvalidArgumentError('expected a JSON value, e.g. \'{"answer": 42}\'');
  }
}

const waitMs = () => new Option('--wait-ms <n>', `long-poll up to N ms (at most ${A2A_MAX_WAIT_MS})`).argParser(wholeNumber(0, A2A_MAX_WAIT_MS));

export function registerA2aCommands(program: Command): void {
  const a2a = program.command('a2a').description('the A2A mailbox: tasks between peers and installed agents');
  jsonCommand(a2a, 'send', 'queue a task for a peer or <id>@agent (needs a2a.send.<recipient>; a peer needs a2a.recv.<you>)')
    .argument('<recipient>', 'a peer (display or pubkey prefix) or an installed agent <id>@agent')
    .argument('<text...>', 'what to do')
    .option('--deadline-ms <epoch-ms>', 'fail the task when it is not delivered by then (epoch ms)', wholeNumber(1))
    .option('--idempotency-key <key>', 'send at most once: the same key (per recipient and kind) answers the first task')
    .option('--task-kind <kind>', 'a kind for the recipient (also scopes the idempotency key)')
    .option('--parent <task-id>', 'the task this one follows from')
    .action(action(async (flags, recipient: string, words: string[], options: A2aSendFlags) => (await load()).a2aSendCommand(flags, recipient, words.join(' '), options)));
  jsonCommand(a2a, 'recv', 'lease your next task (the lease is stored before it is printed)')
    .addOption(waitMs())
    .action(action(async (flags, options: { waitMs?: number }) => (await load()).a2aRecvCommand(flags, options.waitMs)));
  jsonCommand(a2a, 'respond', 'write the result of a task you hold the lease of (needs a2a.respond.<sender>)')
    .argument('<task-id>', 'the task')
    .addOption(new Option('--status <status>', 'how it went').choices(A2A_RESULT_STATUSES).makeOptionMandatory())
    .option('--text <text>', 'a text result')
    .addOption(new Option('--json-value <json>', 'a JSON result').argParser(jsonValue).conflicts('text'))
    .option('--message <text>', 'the error message (default: --text when --status error)')
    .option('--lease-id <id>', 'refuse unless this is still the current lease')
    .action(action(async (flags, taskId: string, options: A2aRespondFlags) => (await load()).a2aRespondCommand(flags, taskId, options)));
  jsonCommand(a2a, 'results', 'drain the results of tasks you sent (each is printed once)')
    .addOption(waitMs())
    .option('-n, --limit <n>', `at most N (1-${A2A_MAX_LIMIT})`, wholeNumber(1, A2A_MAX_LIMIT))
    .action(action(async (flags, options: { waitMs?: number; limit?: number }) => (await load()).a2aResultsCommand(flags, options)));
  jsonCommand(a2a, 'status', 'tasks you sent or received (the operator: all), newest first')
    .option('-n, --limit <n>', `how many (1-${A2A_MAX_LIMIT}, default 20)`, wholeNumber(1, A2A_MAX_LIMIT))
    .addOption(new Option('--state <state>', 'only tasks in this state').choices(A2A_TASK_STATES))
    .option('--min-lease-age-ms <n>', 'only leases at least N ms old', wholeNumber(0))
    .action(action(async (flags, options: A2aStatusFlags) => (await load()).a2aStatusCommand(flags, options)));
  jsonCommand(a2a, 'cancel', 'cancel a task you sent that has no result yet')
    .argument('<task-id>', 'the task')
    .action(action(async (flags, taskId: string) => (await load()).a2aCancelCommand(flags, taskId)));
  jsonCommand(a2a, 'requeue', 'put a leased task back in the queue (needs a2a.repair.requeue)')
    .argument('<task-id>', 'the task')
    .requiredOption('--reason <text>', 'why (audited)')
    .requiredOption('--lease-id <id>', 'its current lease (a stale one is refused)')
    .action(action(async (flags, taskId: string, options: { reason: string; leaseId: string }) => (await load()).a2aRequeueCommand(flags, taskId, options)));
  jsonCommand(a2a, 'force-error', 'fail a leased task with an error result (needs a2a.repair.force_error)')
    .argument('<task-id>', 'the task')
    .requiredOption('--reason <text>', 'why (audited)')
    .requiredOption('--message <text>', 'the error its sender reads')
    .requiredOption('--lease-id <id>', 'its current lease (a stale one is refused)')
    .action(action(async (flags, taskId: string, options: { reason: string; message: string; leaseId: string }) => (await load()).a2aForceErrorCommand(flags, taskId, options)));
  jsonCommand(a2a, 'retry-stale', 'requeue leases older than --min-lease-age-ms, failing tasks past --max-attempts (needs a2a.repair.retry_stale)')
    .option('--enable', 'also store the policy: the daemon then applies it by itself')
    .addOption(new Option('--disable', 'store the policy disabled').conflicts('enable'))
    .option('--min-lease-age-ms <n>', 'lease age that counts as stale (default 60000)', wholeNumber(0))
    .option('--max-attempts <n>', 'deliveries before a task fails instead (default 3)', wholeNumber(1, 100))
    .action(action(async (flags, options: A2aRetryStaleFlags) => (await load()).a2aRetryStaleCommand(flags, options)));
  jsonCommand(a2a, 'compact', 'drop tasks whose results were drained (needs a2a.compact)').action(
    action(async (flags) => (await load()).a2aCompactCommand(flags)),
  );
}
