#!/usr/bin/env node
import { hotCommand, runHotCommand } from './hot-commands.js';

const hot = hotCommand(process.argv);
if (hot) {
  const { present } = await import('./output.js');
  await present(hot.json, () => runHotCommand(hot));
} else {
  await (await import('./program.js')).runProgram(process.argv);
}
