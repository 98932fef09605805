import { hotCommand, runHotCommand } from './hot-commands.js';

/** The CLI: a hot command straight from hot-commands.ts, anything else through commander. */
export async function runCli(argv: string[]): Promise<void> {
  const hot = hotCommand(argv);
  if (hot) {
    const { present } = await import('./output.js');
    await present(hot.json, () => runHotCommand(hot));
  } else {
    await (await import('./program.js')).runProgram(argv);
  }
}
