import type { Command } from 'commander';

export function registerMcpCommands(program: Command): void {
  const mcp = program.command('mcp').description('Covenant as an MCP server');
  mcp
    .command('serve')
    .description('serve Covenant over MCP on stdio: covenant_* tools and every tool of `tools list`, as the token\'s peer')
    .action(async (_options: unknown, command: Command) => {
      const { serveMcp } = await import('../mcp-serve/serve.js');
      process.exitCode = await serveMcp(command.optsWithGlobals());
    });
}
