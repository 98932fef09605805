import { AGENT_SUFFIX, type AgentTaskRun, type ResultInput, type TaskRow } from '../a2a/index.js';
import { CovenantError } from '../core/index.js';
import type { Caller } from './caller.js';
import type { DaemonContext } from './context.js';

/** The sender of a task as the pipeline's principal: its live peer record, resolved again at run time. */
function senderCaller(ctx: DaemonContext, task: TaskRow): Caller {
  const peer = ctx.peerQueries.resolveSubject(task.sender_pubkey).find((p) => p.agent_id.pubkey === task.sender_pubkey);
  if (!peer) throw new CovenantError('E_FORBIDDEN', `the sender ${task.sender_display} of task ${task.id} is no longer a live peer; nothing was run`);
  return { agentId: peer.agent_id, role: peer.role, tokenHash: peer.token_hash, tokenPrefix: peer.token_prefix, transport: task.sender_transport };
}

/**
 * A task for an installed agent runs through the dispatch pipeline (SPEC 12) as an intent of its
 * sender, with `--agent` set: the ignore gate, the agent's required capabilities (checked against
 * the sender), its budget and its compute receipt apply exactly as for `covenant intent`.
 */
export function agentTaskRun(ctx: DaemonContext): AgentTaskRun {
  return async (task): Promise<ResultInput> => {
    const agent = task.recipient_key.slice(0, -AGENT_SUFFIX.length);
    const outcome = await ctx.intents.submit({ principal: senderCaller(ctx, task), text: task.intent_text, agent });
    if (outcome.status === 'ok') return { status: 'ok', content: [{ type: 'text', text: outcome.text }] };
    return { status: 'error', content: [], errorMessage: `intent ${outcome.intent_id} ${outcome.status}: ${outcome.text.slice(0, 500)}` };
  };
}
