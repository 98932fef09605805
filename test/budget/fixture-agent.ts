import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A fixture agent package: answers `done: <text>` at once, or after N ms when the text
 * contains `sleep:N`. With FIXTURE_PIDFILE set (declared in its manifest) it appends its pid there, so a test
 * can check the process is gone after a preemption. `requiredCapabilities` fills `[capabilities] required`.
 */
export function writeFixtureAgent(
  root: string,
  id: string,
  options: { creditsPerHour: number; cpuMsPerTask?: number; ignoreRules?: string; requiredCapabilities?: string[] },
): string {
  const dir = join(root, id);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'agent.toml'),
    `[agent]
id = "${id}"
name = "Budget fixture ${id}"
version = "0.1.0"
runtime = "node"
entry = "main.js"
description = "test fixture: answers, optionally after sleeping"
env = ["FIXTURE_PIDFILE"]

[resources]
cpu_ms_per_task = ${options.cpuMsPerTask ?? 30000}
memory_mb = 64
warm = false

[sandbox]
# Host pids and a pid file in a root-only temp dir: the daemon's own user, no sandbox.
backend = "trusted-local"
run_as_daemon_user = true

[settlement]
budget_credits_per_hour = ${options.creditsPerHour}

[router]
keywords = ["${id}"]
${options.requiredCapabilities ? `\n[capabilities]\nrequired = ${JSON.stringify(options.requiredCapabilities)}\n` : ''}`,
  );
  // The agent is CommonJS whatever package.json sits above the temporary directory.
  writeFileSync(join(dir, 'package.json'), '{"type":"commonjs"}\n');
  writeFileSync(
    join(dir, 'main.js'),
    `'use strict';
const fs = require('node:fs');
const path = require('node:path');
let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (c) => { input += c; });
process.stdin.on('end', () => {
  const intent = JSON.parse(input.split('\\n').find((l) => l.trim() !== ''));
  const pidfile = process.env.FIXTURE_PIDFILE;
  if (pidfile) fs.appendFileSync(pidfile, process.pid + '\\n');
  const m = /sleep:(\\d+)/.exec(intent.text);
  const answer = () => process.stdout.write(JSON.stringify({ text: 'done: ' + intent.text, sources: ['fixture'] }) + '\\n');
  if (m) setTimeout(answer, Number(m[1])); else answer();
});
`,
  );
  if (options.ignoreRules !== undefined) writeFileSync(join(dir, '.covenantignore'), options.ignoreRules);
  return dir;
}

/** The pids fixture agents appended to FIXTURE_PIDFILE, one per run that read its intent, oldest first; none before the first. */
export function fixtureAgentPids(pidfile: string): number[] {
  return existsSync(pidfile) ? readFileSync(pidfile, 'utf8').trim().split('\n').filter(Boolean).map(Number) : [];
}
