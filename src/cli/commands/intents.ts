import type { IntentListStatus } from '../../protocol/index.js';
import type { CommandOutcome, GlobalFlags } from '../output.js';
import { formatTime } from '../../core/human-time.js';
import { callDaemon } from '../session.js';

export async function intentsListCommand(flags: GlobalFlags, options: { status?: IntentListStatus; limit: number }): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, 'intents_list', { limit: options.limit, ...(options.status ? { status: options.status } : {}) });
  const human = reply.intents.map((i) => `${i.intent_id.slice(0, 8)}\t${i.status}\t${i.agent ?? '-'}\t${i.caller.display}\t${formatTime(i.last_ms)}`);
  const none = options.status ? `no ${options.status} intents` : 'no intents yet';
  return { json: reply, human: human.length > 0 ? human : [none] };
}

export async function intentsShowCommand(flags: GlobalFlags, id: string): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, 'intents_show', { intent_id: id });
  const { intent, checkpoint } = reply;
  const human = [
    `intent ${intent.intent_id}: ${intent.status}${intent.agent ? ` (agent ${intent.agent})` : ''}, by ${intent.caller.display}, ${formatTime(intent.first_ms)} .. ${formatTime(intent.last_ms)}`,
    'audit rows:',
    ...reply.events.map((e) => `  seq ${e.seq}\t${formatTime(e.timestamp_ms)}\t${e.kind}`),
    reply.receipts.length === 0 ? 'receipts: none (nothing was charged)' : 'receipts:',
    ...reply.receipts.map((r) => `  ${r.id}\t${r.resource}\t${r.status}\t${r.credits_consumed} credits${r.failure_reason ? `\t${r.failure_reason}` : ''}`),
    checkpoint === null
      ? 'checkpoint: none'
      : `checkpoint: ${checkpoint.reason}, ${checkpoint.remaining} credit(s) left of ${checkpoint.requested} needed, ` +
        (checkpoint.claimed_at === null ? `resume with \`covenant intents resume ${intent.intent_id}\`` : `resumed at ${formatTime(checkpoint.claimed_at)}`),
  ];
  return { json: reply, human };
}
