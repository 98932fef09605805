import { DEFAULT_MEMORY_LIMIT } from '../../memory/index.js';
import { DEFAULT_WRITE_TIER } from '../../protocol/index.js';
import { resolvePurgeCutoff } from '../../protocol/index.js';
import type { HandlerGroup } from './handler.js';
import { memoryRecordId } from '../id-prefixes.js';

export const memoryHandlers: HandlerGroup<'memory_write' | 'memory_recent' | 'memory_search' | 'memory_import' | 'memory_purge' | 'memory_compact'> = {
  memory_write: async (params, { caller }, ctx) => ({
    kind: 'memory_written',
    record: await ctx.memory.write(caller.agentId, {
      text: params.text,
      tier: params.tier ?? DEFAULT_WRITE_TIER,
      // A parent is one of the caller's own records (even for the operator), taken by a unique prefix.
      parent: params.parent == null ? null : memoryRecordId(ctx, caller.agentId.pubkey, params.parent),
    }),
  }),
  memory_recent: (params, { caller }, ctx) => {
    const limit = params.limit ?? DEFAULT_MEMORY_LIMIT;
    return {
      kind: 'memory_read',
      mode: 'recent',
      tier: params.tier ?? null,
      limit,
      query: null,
      min_relevance: null,
      records: ctx.memory.recent(caller.agentId.pubkey, { tier: params.tier, limit }),
    };
  },
  memory_search: async (params, { caller }, ctx) => {
    const limit = params.limit ?? DEFAULT_MEMORY_LIMIT;
    const minRelevance = params.min_relevance ?? 0;
    return {
      kind: 'memory_read',
      mode: 'search',
      tier: params.tier ?? null,
      limit,
      query: params.query,
      min_relevance: minRelevance,
      records: await ctx.memory.search(caller.agentId.pubkey, { query: params.query, tier: params.tier, limit, minRelevance }),
    };
  },
  memory_import: async (params, { caller }, ctx) => ({
    kind: 'memory_imported',
    ...(await ctx.memory.import(caller.agentId, { tier: params.tier ?? DEFAULT_WRITE_TIER, files: params.files })),
  }),
  memory_purge: (params, { caller }, ctx) => {
    const beforeMs = resolvePurgeCutoff(params, ctx.clock.now());
    const { purged } = ctx.memory.purge(caller.agentId, { tier: params.tier, beforeMs });
    return { kind: 'memory_purged', before_ms: beforeMs, purged };
  },
  memory_compact: (params, { caller }, ctx) => ({
    kind: 'memory_compacted',
    outcome: ctx.memory.compact(caller.agentId, { reason: params.reason, apply: params.apply === true }),
  }),
};
