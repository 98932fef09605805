/**
 * The answer to an intent no installed agent matched (SPEC 12, `status: "unrouted"`): what
 * happened and the two ways on, installing an agent or naming one with `--agent`.
 */
export function unroutedAnswer(installed: readonly string[]): string {
  const install = 'install one with `covenant agents install <dir>` (reference agents are in agents/ of the Covenant source: agents/hello, agents/research)';
  if (installed.length === 0) return `no agent is installed, so none could take this intent; ${install}, then send it again`;
  const shown = installed.length > 5 ? `${installed.slice(0, 5).join(', ')}, …` : installed.join(', ');
  return (
    `no installed agent matched this intent (installed: ${shown}); name one with \`covenant intent --agent <id> <text>\`, ` +
    `or ${install}`
  );
}
