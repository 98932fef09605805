import type { z } from 'zod';

export type HttpMethod = 'GET' | 'POST';

/** What a request needs before its handler runs. */
export interface Authorization {
  /** The capability action required; null for identity-only requests. */
  action: string | null;
  /** Facts the capability's scope is checked against (tier, tool arguments, ...). */
  facts?: Record<string, unknown>;
  /** Only the operator identity may make this request. */
  operatorOnly?: boolean;
  /** The operator passes without holding `action`; everyone else needs it. */
  operatorPasses?: boolean;
  /**
   * Alternatives to `action`: the request is admitted when the caller holds `action` OR any one
   * of these (each checked with its own facts), e.g. `memory.read` or `memory.read.working`.
   * A refusal names `action` and the alternatives.
   */
  anyOf?: ReadonlyArray<{ action: string; facts?: Record<string, unknown> }>;
}

/**
 * One request kind, declared once: its parameters, its response, what it needs, and where
 * the HTTP gateway exposes it. The socket server, the gateway and the CLI all derive from it.
 */
export interface RequestDefinition<
  K extends string = string,
  P extends z.ZodObject = z.ZodObject,
  R extends z.ZodObject = z.ZodObject,
> {
  kind: K;
  summary: string;
  params: P;
  response: R;
  authorize: (params: z.infer<P>) => Authorization;
  http: { method: HttpMethod; path: string };
  /** False for reads: the gateway and audit treat them as queries. */
  mutates: boolean;
  /**
   * False for a read that checks no capability (`action: null`) and writes nothing durable: it
   * is served without a deferred-rows scope (audit/request-rows.ts), which would cost every
   * promise of the request a hook call and leave nothing to defer. A row it writes anyway (a
   * refusal's) is written at once. test/requests/rowless-kinds.test.ts holds each kind to this.
   */
  requestRows?: false;
}

export function defineRequest<K extends string, P extends z.ZodObject, R extends z.ZodObject>(
  definition: RequestDefinition<K, P, R>,
): RequestDefinition<K, P, R> {
  return definition;
}
