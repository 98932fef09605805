#!/usr/bin/env node
import { fastVersionArgs } from './fast-version.js';

async function main(argv: string[]): Promise<void> {
  const fast = fastVersionArgs(argv);
  if (fast) {
    const [{ present }, { versionCommand }] = await Promise.all([import('./output.js'), import('./commands/version.js')]);
    await present(fast.json, () => versionCommand({ home: fast.home }));
    return;
  }
  const { runProgram } = await import('./program.js');
  await runProgram(argv);
}

await main(process.argv);
