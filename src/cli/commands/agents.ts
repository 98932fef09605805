import { resolve } from 'node:path';
import type { CommandOutcome, GlobalFlags } from '../output.js';
import { callDaemon } from '../session.js';

interface AgentSummary {
  id: string;
  name: string;
  version: string;
  runtime: string;
  backend: string;
}

export async function agentsInstallCommand(flags: GlobalFlags, dir: string): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, { kind: 'agents_install', dir: resolve(dir) });
  const { id: _id, ...json } = reply;
  const agent = reply.agent as AgentSummary;
  const verb = reply.replaced ? 'replaced' : 'installed';
  return { json: json, human: `${verb} ${agent.id} ${agent.version} (${agent.runtime}, ${agent.backend})` };
}

export async function agentsListCommand(flags: GlobalFlags): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, { kind: 'agents_list' });
  const { id: _id, ...json } = reply;
  const agents = reply.agents as AgentSummary[];
  const human = agents.length === 0 ? ['no agents installed (covenant agents install <dir>)'] : agents.map((a) => [a.id, a.version, a.runtime, a.backend, a.name].join('\t'));
  return { json: json, human };
}

export async function agentsRemoveCommand(flags: GlobalFlags, id: string): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, { kind: 'agents_remove', agent: id });
  // The reply's own `id` is the removed agent's id (it is not a request id here).
  return { json: { kind: 'agent_removed', id: String(reply.id) }, human: `removed ${String(reply.id)}` };
}
