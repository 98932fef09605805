import { formatDuration } from '../../core/human-time.js';
import type { CommandOutcome, GlobalFlags } from '../output.js';
import { withProgress } from '../progress.js';
import { callDaemon } from '../session.js';

function eta(ms: number): string {
  if (ms < 0) return 'never (top it up)';
  return ms === 0 ? 'now' : `in ${formatDuration(ms)}`;
}

export async function budgetStatusCommand(flags: GlobalFlags, options: { agent?: string }): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, 'budget_status', options.agent ? { agent: options.agent } : {});
  const human =
    reply.budgets.length === 0
      ? [options.agent ? `agent ${options.agent} has no budget (unlimited)` : 'no agent has a budget (agents without one are unlimited)']
      : reply.budgets.map(
          (b) => `${b.agent}\t${b.balance}/${b.credits_per_hour} credits\trunnable ${eta(b.refill_eta_ms)}\t${b.paused_intents} paused`,
        );
  for (const paused of reply.paused_without_budget) {
    human.push(`${paused.agent}\tno budget (unlimited)\t${paused.paused_intents} paused: resume them with \`covenant intents resume <id>\``);
  }
  if (reply.budgets.some((b) => b.paused_intents > 0) || reply.paused_without_budget.length > 0) {
    human.push('list paused intents with: covenant intents list --status paused');
  }
  return { json: reply, human };
}

export async function budgetTopupCommand(flags: GlobalFlags, agent: string, credits: number): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, 'budget_topup', { agent, credits });
  return { json: reply, human: `topped up ${agent} by ${credits}: balance ${reply.balance} credits` };
}

export async function budgetSetCommand(flags: GlobalFlags, agent: string, creditsPerHour: number): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, 'budget_set', { agent, credits_per_hour: creditsPerHour });
  return {
    json: reply,
    human: creditsPerHour === 0 ? `${agent} is now unlimited` : `${agent}: ${creditsPerHour} credits per hour`,
  };
}

export async function intentsResumeCommand(flags: GlobalFlags, ref: string): Promise<CommandOutcome> {
  const reply = await withProgress('waiting for the resumed intent', callDaemon(flags, 'intents_resume', { intent_id: ref }), { json: flags.json });
  return { json: reply, human: reply.text, exitCode: reply.ok ? 0 : 1 };
}
