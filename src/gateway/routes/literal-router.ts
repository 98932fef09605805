import type { Result, Router } from 'hono/router';
import { TrieRouter } from 'hono/router/trie-router';

/** The methods whose answers are kept: those the gateway serves (the parser accepts a fixed list anyway). */
const KEPT_METHODS = new Set(['GET', 'POST']);

/**
 * hono's TrieRouter, with its answer for each literal route path (`/tools`, not `/intents/:id`)
 * kept after the first request, as hono's RegExpRouter keeps its static paths. The gateway's
 * table is beyond RegExpRouter (`/intents/list` beside `/intents/:id/events`), and a trie search
 * through ~60 routes and the `*` middleware was a tenth of a `GET /tools` (docs/http-gateway.md,
 * "Speed"). An answer depends only on the method and the path, and hono only reads it; adding
 * a route forgets every kept answer. Paths no route names literally are never kept, so a client
 * cannot grow the map.
 */
export class LiteralPathRouter<T> implements Router<T> {
  readonly name = 'LiteralPathRouter';
  private readonly trie = new TrieRouter<T>();
  private readonly literals = new Set<string>();
  /** Per literal path, its kept answer per method; keyed by the path alone, whose hash V8 keeps on the string. */
  private readonly answers = new Map<string, Map<string, Result<T>>>();

  add(method: string, path: string, handler: T): void {
    this.trie.add(method, path, handler);
    if (!/[:*?{]/.test(path)) this.literals.add(path);
    this.answers.clear();
  }

  match(method: string, path: string): Result<T> {
    if (!KEPT_METHODS.has(method)) return this.trie.match(method, path);
    let byMethod = this.answers.get(path);
    if (byMethod === undefined) {
      if (!this.literals.has(path)) return this.trie.match(method, path);
      byMethod = new Map();
      this.answers.set(path, byMethod);
    }
    let answer = byMethod.get(method);
    if (answer === undefined) {
      answer = this.trie.match(method, path);
      byMethod.set(method, answer);
    }
    return answer;
  }
}
