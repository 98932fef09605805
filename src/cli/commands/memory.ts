import type { CommandOutcome, GlobalFlags } from '../output.js';
import { purgeParams } from '../parsers.js';
import type { MemoryCompactFlags, MemoryPurgeFlags, MemoryReadFlags, MemoryWriteFlags } from '../register/memory.js';
import { callDaemon } from '../session.js';

interface RecordView {
  id: string;
  tier: string;
  text: string;
  stale?: boolean;
  relevance?: number;
}

function strip(reply: Record<string, unknown>): CommandOutcome['json'] {
  const { id: _id, ...json } = reply;
  return json as CommandOutcome['json'];
}

/** One line per record: control characters (newlines, escapes) become spaces. */
function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point: they are replaced
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ');
}

function line(record: RecordView, withRelevance: boolean): string {
  const tier = record.stale ? `${record.tier}, stale` : record.tier;
  const score = withRelevance && record.relevance !== undefined ? ` ${record.relevance.toFixed(3)}` : '';
  return `${record.id} [${tier}]${score} ${oneLine(record.text)}`;
}

export async function memoryWriteCommand(flags: GlobalFlags, text: string, options: MemoryWriteFlags): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, {
    kind: 'memory_write',
    text,
    ...(options.tier !== undefined ? { tier: options.tier } : {}),
    ...(options.parent !== undefined ? { parent: options.parent } : {}),
  });
  return { json: strip(reply), human: line(reply.record as RecordView, false) };
}

function readOutcome(reply: Record<string, unknown>, withRelevance: boolean): CommandOutcome {
  const records = reply.records as RecordView[];
  return { json: strip(reply), human: records.length > 0 ? records.map((r) => line(r, withRelevance)) : ['no memory records'] };
}

export async function memoryRecentCommand(flags: GlobalFlags, options: MemoryReadFlags): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, {
    kind: 'memory_recent',
    ...(options.tier !== undefined ? { tier: options.tier } : {}),
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
  });
  return readOutcome(reply, false);
}

export async function memorySearchCommand(flags: GlobalFlags, query: string, options: MemoryReadFlags): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, {
    kind: 'memory_search',
    query,
    ...(options.tier !== undefined ? { tier: options.tier } : {}),
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
    ...(options.minRelevance !== undefined ? { min_relevance: options.minRelevance } : {}),
  });
  return readOutcome(reply, true);
}

export async function memoryPurgeCommand(flags: GlobalFlags, options: MemoryPurgeFlags): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, {
    kind: 'memory_purge',
    ...(options.tier !== undefined ? { tier: options.tier } : {}),
    ...purgeParams(options),
  });
  return { json: strip(reply), human: `purged ${String(reply.purged)} memory records older than ${String(reply.before_ms)}` };
}

interface Outcome {
  mode: string;
  would_change: number;
  changed: number;
  deleted: number;
  stale_marked: number;
  parents_detached: number;
}

export async function memoryCompactCommand(flags: GlobalFlags, options: MemoryCompactFlags): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, { kind: 'memory_compact', reason: options.reason, ...(options.apply ? { apply: true } : {}) });
  const o = reply.outcome as Outcome;
  const parts = `delete ${o.deleted}, mark stale ${o.stale_marked}, detach ${o.parents_detached}`;
  const human =
    o.mode === 'apply'
      ? `applied: changed ${o.changed} records (${parts})`
      : `dry run: would change ${o.would_change} records (${parts}); run again with --apply to change them`;
  return { json: strip(reply), human };
}
