import { quoteInput } from '../core/index.js';
import { MEMORY_TIERS } from '../protocol/index.js';
import { actionMatches } from './actions.js';

/**
 * The daemon's action catalogue (SPEC 5): every capability action a request, a stream or the
 * dispatch pipeline checks. A name in `<angle brackets>` is a parameter: it stands for one or
 * more segments (`tool.call.<tool>` covers `tool.call.echo`). `capabilities grant` refuses an
 * action that is neither here nor declared by an installed agent's manifest, unless the caller
 * says `--allow-unknown-action`. test/capabilities/action-catalogue.test.ts holds the request
 * table to this list.
 */
export const ACTION_CATALOGUE: ReadonlyArray<{ action: string; what: string }> = [
  { action: 'intent.submit', what: 'submit intents (scope agents: [...] limits the agents)' },
  { action: 'memory.read', what: 'read and search memory (scope tier limits the tiers)' },
  ...MEMORY_TIERS.map((tier) => ({ action: `memory.read.${tier}`, what: `read and search the ${tier} tier only` })),
  { action: 'memory.write', what: 'write memory records' },
  { action: 'memory.purge', what: 'purge memory records' },
  { action: 'memory.repair.apply', what: 'apply a memory repair' },
  { action: 'memory.repair.dry_run', what: 'dry-run a memory repair' },
  { action: 'memory.compact.apply', what: 'compact memory' },
  { action: 'memory.compact.dry_run', what: 'dry-run a memory compaction' },
  { action: 'tool.call.<tool>', what: 'call one MCP tool' },
  { action: 'tools.restart', what: 'restart an MCP tool server' },
  { action: 'a2a.send.<peer>', what: 'send A2A messages to a peer' },
  { action: 'a2a.recv.<peer>', what: 'receive A2A messages from a peer' },
  { action: 'a2a.respond.<peer>', what: 'answer A2A messages of a peer' },
  { action: 'a2a.repair.<repair>', what: 'repair the A2A mailbox' },
  { action: 'a2a.compact', what: 'compact the A2A mailbox' },
  { action: 'model.chat', what: 'chat with the local model' },
  { action: 'model.embed', what: 'embed text with the local model' },
  { action: 'remotes.manage', what: 'manage federation remotes' },
  { action: 'audit.read', what: 'read the audit log (your rows; the operator sees all)' },
  { action: 'audit.purge', what: 'purge old audit rows' },
  { action: 'capabilities.purge', what: 'purge revoked or expired capability records' },
  { action: 'peers.list', what: 'list peers' },
  { action: 'peers.revoke', what: 'revoke peer tokens' },
  { action: 'peers.purge', what: 'purge revoked peer records' },
  { action: 'chain.receipts', what: 'read settlement receipts and proofs' },
  { action: 'chain.flush', what: 'flush receipts into a batch' },
  { action: 'chain.batches', what: 'read settlement batches' },
  { action: 'budget.topup', what: "top up an agent's budget" },
];

const PARAMETER = /^<[a-z]+>$/;

interface Entry {
  /** The fixed segments before a parameter, e.g. ["tool", "call"]. */
  fixed: string[];
  parametric: boolean;
}

const ENTRIES: readonly Entry[] = ACTION_CATALOGUE.map(({ action }) => {
  const segments = action.split('.');
  const parametric = PARAMETER.test(segments.at(-1)!);
  return { fixed: parametric ? segments.slice(0, -1) : segments, parametric };
});

function startsWith(segments: readonly string[], prefix: readonly string[]): boolean {
  return prefix.length <= segments.length && prefix.every((segment, i) => segments[i] === segment);
}

/** Is a well-formed action (possibly ending in `.*`) one the catalogue or `declared` knows? */
export function isKnownAction(action: string, declared: Iterable<string> = []): boolean {
  const segments = action.split('.');
  const wildcard = segments.at(-1) === '*';
  const named = wildcard ? segments.slice(0, -1) : segments;
  const known = (entry: Entry): boolean => {
    if (entry.parametric && startsWith(named, entry.fixed) && named.length > entry.fixed.length) return true;
    if (wildcard) return startsWith(entry.fixed, named) && (entry.parametric || entry.fixed.length > named.length);
    return !entry.parametric && entry.fixed.length === named.length && startsWith(named, entry.fixed);
  };
  if (ENTRIES.some(known)) return true;
  for (const name of declared) {
    if (actionMatches(name, action)) return true;
    if (wildcard && startsWith(name.split('.'), named) && name.split('.').length > named.length) return true;
  }
  return false;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The known action nearest to `action`, when it is close enough to be a typo. */
export function nearestAction(action: string, declared: Iterable<string> = []): string | null {
  const last = action.split('.').at(-1)!;
  const candidates = [
    ...ENTRIES.map((entry) => (entry.parametric ? [...entry.fixed, last].join('.') : entry.fixed.join('.'))),
    ...declared,
  ];
  let best: { name: string; distance: number } | null = null;
  for (const name of candidates) {
    const distance = editDistance(action, name);
    if (best === null || distance < best.distance) best = { name, distance };
  }
  return best !== null && best.distance > 0 && best.distance <= Math.max(2, Math.floor(action.length / 4)) ? best.name : null;
}

/** Why `capabilities grant` refuses an action it does not know, with a did-you-mean and the way out. */
export function unknownActionMessage(action: string, declared: Iterable<string> = []): string {
  const nearest = nearestAction(action, [...declared]);
  const guess = nearest === null ? '' : ` (did you mean ${nearest}?)`;
  return (
    `unknown action ${quoteInput(action)}${guess}: it is not in the daemon's action catalogue (docs/capabilities.md) nor declared by an installed agent; ` +
    'to grant an action of an agent that is not installed yet, add --allow-unknown-action'
  );
}
