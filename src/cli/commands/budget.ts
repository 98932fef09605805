import { formatDuration } from '../../core/human-time.js';
import type { CommandOutcome, GlobalFlags } from '../output.js';
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
  const reply = await callDaemon(flags, 'intents_resume', { intent_id: ref });
  return { json: reply, human: reply.text, exitCode: reply.ok ? 0 : 1 };
}
