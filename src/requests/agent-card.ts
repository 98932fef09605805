import { buildAgentCard, signAgentCard, type AgentCardJson } from '../a2a/index.js';
import type { DaemonContext } from './context.js';

/** The daemon's signed agent card, its interfaces at `baseUrl` (the gateway's bound address). */
export function signedAgentCard(ctx: Pick<DaemonContext, 'runtime' | 'identity' | 'daemonVersion'>, baseUrl: string): AgentCardJson {
  return signAgentCard(buildAgentCard({ baseUrl, version: ctx.daemonVersion, agents: ctx.runtime.agents.list() }), ctx.identity.keys);
}
