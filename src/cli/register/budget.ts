import { InvalidArgumentError, Option, type Command } from 'commander';
import { action, jsonCommand } from '../action.js';
import { wholeNumber } from '../parsers.js';

const load = () => import('../commands/budget.js');

function positiveCredits(value: string): number {
  if (!/^\d+(\.\d+)?$/.test(value)) throw new InvalidArgumentError('expected a positive number of credits, e.g. 10 or 2.5');
  const n = Number(value);
  if (!(n > 0) || n > 1_000_000_000) throw new InvalidArgumentError('credits must be more than 0 and at most 1000000000');
  return n;
}

export function registerBudgetCommands(program: Command): void {
  const budget = program.command('budget').description('agent budgets: credits per hour, top-ups');
  jsonCommand(budget, 'status', 'balance, refill ETA and paused intents of every agent with a budget')
    .option('--agent <id>', 'only this agent')
    .action(action(async (flags, options: { agent?: string }) => (await load()).budgetStatusCommand(flags, options)));
  jsonCommand(budget, 'topup', "add credits to an agent's budget now (needs budget.topup)")
    .argument('<agent>', 'agent id')
    .argument('<credits>', 'credits to add', positiveCredits)
    .action(action(async (flags, agent: string, credits: number) => (await load()).budgetTopupCommand(flags, agent, credits)));
  jsonCommand(budget, 'set', "set an agent's credits per hour, overriding its manifest (operator; 0 = unlimited)")
    .argument('<agent>', 'agent id')
    .argument('<credits-per-hour>', 'whole credits per hour (1 credit = 1 started second of agent wall time)', wholeNumber(0, 1_000_000_000))
    .action(action(async (flags, agent: string, creditsPerHour: number) => (await load()).budgetSetCommand(flags, agent, creditsPerHour)));
}

const INTENT_STATUSES = ['ok', 'failed', 'paused', 'ignored', 'unrouted', 'running'] as const;

export function registerIntentsCommands(program: Command): void {
  const intents = program.command('intents').description('your intents: list, show, resume paused ones');
  const loadIntents = () => import('../commands/intents.js');
  jsonCommand(intents, 'list', 'your intents, newest first, with their status (the operator sees everyone\'s)')
    .addOption(new Option('--status <status>', 'only intents with this status').choices(INTENT_STATUSES))
    .option('-n, --limit <n>', 'how many (1-1000)', wholeNumber(1, 1000), 20)
    .action(action(async (flags, options: { status?: (typeof INTENT_STATUSES)[number]; limit: number }) => (await loadIntents()).intentsListCommand(flags, options)));
  jsonCommand(intents, 'show', 'one intent: its audit rows, receipts and budget checkpoint')
    .argument('<intent-id>', 'the intent id, or at least 4 of its first characters')
    .action(action(async (flags, id: string) => (await loadIntents()).intentsShowCommand(flags, id)));
  jsonCommand(intents, 'resume', 'resume a paused intent once its budget allows (exit 1 while it stays paused)')
    .argument('<intent-id|latest>', 'the paused intent id from the E_BUDGET_EXHAUSTED message (any unique prefix of it), or "latest"')
    .action(action(async (flags, ref: string) => (await load()).intentsResumeCommand(flags, ref)));
}
