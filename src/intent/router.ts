/**
 * The intent router (SPEC 12). Picks the agent for an intent that does not name one:
 *
 * 1. Keywords. Each installed agent's `[router] keywords` (a keyword may be several words,
 *    e.g. "look up") are matched against the intent's words: a keyword hits when its words
 *    appear consecutively in the intent (case-insensitive, whole words). The agent with the
 *    most distinct keyword hits wins; equal counts break by agent id (ascending).
 * 2. Similarity. With no keyword hit, the intent is embedded with the local embedder and
 *    compared (cosine) with each agent's card: its name, description, capabilities (required
 *    and optional) and keywords. The best score wins if it reaches `ROUTER_SIMILARITY_THRESHOLD`
 *    (0.25); equal scores break by agent id.
 * 3. No match: the pipeline answers `status: "unrouted"` (unrouted.ts).
 *
 * 0.25 is deliberately high for hashed unigram+bigram vectors: a short intent that shares only
 * a common word or two with a card scores well below it, so the router leaves it unrouted rather than
 * guessing; an intent that restates what the card says clears it.
 */
import { cosine, tokenize, type Embedder } from '../memory/index.js';
import type { AgentManifest } from '../runtime/index.js';

export const ROUTER_SIMILARITY_THRESHOLD = 0.25;

/** What the router needs from an installed agent. */
export interface RoutableAgent {
  id: string;
  manifest: AgentManifest;
  /** Changes when the package changes (the card embedding is cached by it). */
  packageSha256?: string;
}

export type RouteDecision =
  | { agent: string; by: 'keyword'; score: number; keywords: string[] }
  | { agent: string; by: 'similarity'; score: number }
  | null;

/** The text an agent is known by for similarity routing. */
export function agentCard(manifest: AgentManifest): string {
  const parts = [
    manifest.agent.name,
    manifest.agent.description ?? '',
    [...manifest.capabilities.required, ...manifest.capabilities.optional].join(' '),
    (manifest.router.keywords ?? []).join(' '),
  ];
  return parts.filter((p) => p.trim() !== '').join('\n');
}

function byId(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Does the word sequence `needle` occur consecutively in `haystack`? */
function containsSequence(haystack: readonly string[], needle: readonly string[]): boolean {
  if (needle.length === 0 || needle.length > haystack.length) return false;
  outer: for (let i = 0; i + needle.length <= haystack.length; i += 1) {
    for (let j = 0; j < needle.length; j += 1) {
      if (haystack[i + j] !== needle[j]) continue outer;
    }
    return true;
  }
  return false;
}

export class IntentRouter {
  private readonly cards = new Map<string, { key: string; vector: Float32Array }>();

  constructor(
    private readonly embedder: Embedder,
    readonly threshold = ROUTER_SIMILARITY_THRESHOLD,
  ) {}

  /** The distinct keywords of an agent that occur in the intent words. */
  keywordHits(words: readonly string[], manifest: AgentManifest): string[] {
    const hits = new Set<string>();
    for (const keyword of manifest.router.keywords ?? []) {
      if (containsSequence(words, tokenize(keyword))) hits.add(keyword.toLowerCase());
    }
    return [...hits].sort();
  }

  route(text: string, agents: readonly RoutableAgent[]): RouteDecision {
    if (agents.length === 0) return null;
    const sorted = [...agents].sort((a, b) => byId(a.id, b.id));
    const words = tokenize(text);

    let best: { agent: string; hits: string[] } | null = null;
    for (const agent of sorted) {
      const hits = this.keywordHits(words, agent.manifest);
      if (hits.length > 0 && (best === null || hits.length > best.hits.length)) best = { agent: agent.id, hits };
    }
    if (best !== null) return { agent: best.agent, by: 'keyword', score: best.hits.length, keywords: best.hits };

    const query = this.embedder.embed(text);
    let top: { agent: string; score: number } | null = null;
    for (const agent of sorted) {
      const score = cosine(query, this.cardVector(agent));
      if (top === null || score > top.score) top = { agent: agent.id, score };
    }
    if (top !== null && top.score >= this.threshold) return { agent: top.agent, by: 'similarity', score: top.score };
    return null;
  }

  /** Similarity of the intent to each agent's card, best first (ties by id): for tests and docs. */
  scores(text: string, agents: readonly RoutableAgent[]): Array<{ agent: string; score: number }> {
    const query = this.embedder.embed(text);
    return agents
      .map((agent) => ({ agent: agent.id, score: cosine(query, this.cardVector(agent)) }))
      .sort((a, b) => b.score - a.score || byId(a.agent, b.agent));
  }

  private cardVector(agent: RoutableAgent): Float32Array {
    const card = agentCard(agent.manifest);
    const key = `${agent.packageSha256 ?? ''}\0${card}`;
    const cached = this.cards.get(agent.id);
    if (cached && cached.key === key) return cached.vector;
    const vector = this.embedder.embed(card);
    this.cards.set(agent.id, { key, vector });
    return vector;
  }
}
