import { resolve } from 'node:path';
import type { CommandOutcome, GlobalFlags } from '../output.js';
import { callDaemon } from '../session.js';

export async function agentsInstallCommand(flags: GlobalFlags, dir: string): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, 'agents_install', { dir: resolve(dir) });
  const { agent } = reply;
  const verb = reply.replaced ? 'replaced' : 'installed';
  return { json: reply, human: `${verb} ${agent.id} ${agent.version} (${agent.runtime}, ${agent.backend})` };
}

export async function agentsListCommand(flags: GlobalFlags): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, 'agents_list', {});
  const human =
    reply.agents.length === 0
      ? ['no agents installed (covenant agents install <dir>)']
      : reply.agents.map((a) => [a.id, a.version, a.runtime, a.backend, a.name].join('\t'));
  return { json: reply, human };
}

export async function agentsRemoveCommand(flags: GlobalFlags, id: string): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, 'agents_remove', { agent: id });
  return { json: reply, human: `removed ${reply.id}` };
}
