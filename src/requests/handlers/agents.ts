import type { InstalledAgent } from '../../runtime/index.js';
import type { HandlerGroup } from './handler.js';

function summary(agent: InstalledAgent) {
  const m = agent.manifest;
  return { id: agent.id, name: m.agent.name, version: m.agent.version, runtime: m.agent.runtime, backend: agent.backend };
}

export const agentHandlers: HandlerGroup<'agents_install' | 'agents_list' | 'agents_remove'> = {
  agents_install: async (params, { caller }, ctx) => {
    const result = await ctx.runtime.agents.install(params.dir, caller.agentId);
    return {
      kind: 'agent_installed',
      agent: summary(result.agent),
      replaced: result.replaced,
      package_sha256: result.agent.packageSha256,
    };
  },
  agents_list: (_params, _scope, ctx) => ({
    kind: 'agent_list',
    agents: ctx.runtime.agents.list().map((agent) => ({
      ...summary(agent),
      description: agent.manifest.agent.description ?? null,
      keywords: agent.manifest.router.keywords ?? [],
      capabilities_required: agent.manifest.capabilities.required,
      sandbox_required: agent.manifest.sandbox.required,
      warm: agent.manifest.resources.warm,
      installed_at: agent.installedAt,
      package_sha256: agent.packageSha256,
    })),
  }),
  agents_remove: async (params, { caller }, ctx) => {
    const removed = await ctx.runtime.agents.remove(params.agent, caller.agentId);
    return { kind: 'agent_removed', id: removed.id };
  },
};
