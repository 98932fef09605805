import type { Command } from 'commander';
import { action, jsonCommand } from '../action.js';
import { jsonObject } from '../parsers.js';

const load = () => import('../commands/tools.js');

export function registerToolCommands(program: Command): void {
  const tools = program.command('tools').description('built-in and MCP tools');
  jsonCommand(tools, 'list', 'every tool with its input schema').action(action(async (flags) => (await load()).listCommand(flags)));
  jsonCommand(tools, 'servers', 'the MCP servers: state, restarts, last error, tools').action(action(async (flags) => (await load()).serversCommand(flags)));
  jsonCommand(tools, 'restart', 'restart an MCP server with its current config (needs tools.restart)')
    .argument('<server>', 'server name, see `covenant tools servers`')
    .action(action(async (flags, server: string) => (await load()).restartCommand(flags, server)));
  jsonCommand(tools, 'call', 'call a tool (needs tool.call.<name>)')
    .argument('<name>', 'tool name, see `covenant tools list`')
    .option('--args <json>', 'arguments object, e.g. \'{"text":"hi"}\'', jsonObject("the tool's arguments", '{"text":"hi"}'))
    .action(
      action(async (flags, name: string, options: { args?: Record<string, unknown> }) => (await load()).callCommand(flags, name, options.args ?? {})),
    );
}
