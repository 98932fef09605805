import { formatTime } from '../../core/human-time.js';
import type { ResponseOf } from '../../protocol/index.js';
import type { CommandOutcome, GlobalFlags } from '../output.js';
import { purgeParams } from '../parsers.js';
import type { MemoryCompactFlags, MemoryPurgeFlags, MemoryReadFlags, MemoryWriteFlags } from '../register/memory.js';
import { callDaemon } from '../session.js';

/** A written record (no stale flag, no relevance) or a read one. */
type RecordView = ResponseOf<'memory_write'>['record'] | ResponseOf<'memory_recent'>['records'][number];

/** One line per record: control characters (newlines, escapes) become spaces. */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point: they are replaced
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ');
}

function line(record: RecordView, withRelevance: boolean): string {
  const tier = 'stale' in record && record.stale ? `${record.tier}, stale` : record.tier;
  const relevance = 'relevance' in record ? record.relevance : undefined;
  const score = withRelevance && relevance !== undefined ? ` ${relevance.toFixed(3)}` : '';
  return `${record.id} [${tier}]${score} ${oneLine(record.text)}`;
}

export async function memoryWriteCommand(flags: GlobalFlags, text: string, options: MemoryWriteFlags): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, 'memory_write', {
    text,
    ...(options.tier !== undefined ? { tier: options.tier } : {}),
    ...(options.parent !== undefined ? { parent: options.parent } : {}),
  });
  return { json: reply, human: line(reply.record, false) };
}

function readOutcome(reply: ResponseOf<'memory_recent'>, withRelevance: boolean): CommandOutcome {
  const { records } = reply;
  const lines = records.length > 0 ? records.map((r) => line(r, withRelevance)) : ['no memory records'];
  return { json: reply, human: reply.note === undefined ? lines : [...lines, `note: ${reply.note}`] };
}

export async function memoryRecentCommand(flags: GlobalFlags, options: MemoryReadFlags): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, 'memory_recent', {
    ...(options.tier !== undefined ? { tier: options.tier } : {}),
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
  });
  return readOutcome(reply, false);
}

export async function memorySearchCommand(flags: GlobalFlags, query: string, options: MemoryReadFlags): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, 'memory_search', {
    query,
    ...(options.tier !== undefined ? { tier: options.tier } : {}),
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
    ...(options.minRelevance !== undefined ? { min_relevance: options.minRelevance } : {}),
  });
  return readOutcome(reply, true);
}

export async function memoryPurgeCommand(flags: GlobalFlags, options: MemoryPurgeFlags): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, 'memory_purge', {
    ...(options.tier !== undefined ? { tier: options.tier } : {}),
    ...purgeParams(options),
  });
  return { json: reply, human: `purged ${reply.purged} memory records older than ${formatTime(reply.before_ms)}` };
}

export async function memoryCompactCommand(flags: GlobalFlags, options: MemoryCompactFlags): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, 'memory_compact', { reason: options.reason, ...(options.apply ? { apply: true } : {}) });
  const o = reply.outcome;
  const parts = `delete ${o.deleted}, mark stale ${o.stale_marked}, detach ${o.parents_detached}`;
  const human =
    o.mode === 'apply'
      ? `applied: changed ${o.changed} records (${parts})`
      : `dry run: would change ${o.would_change} records (${parts}); run again with --apply to change them`;
  return { json: reply, human };
}
