import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where `installHello` puts the copy named `id`. */
export function helloPackageDir(scratch: string, id = 'hello'): string {
  return join(scratch, id);
}

/**
 * Installs a copy of the reference `hello` agent, made under `scratch` and named `id`, with the
 * given backend, warm process and sandbox requirement (the manifest's own values when not
 * given); returns the copy's directory, which the benches also run by hand. The copy sits
 * outside the repository, as `agents install` puts its own in the daemon's home: run from the
 * repository, Node would load `main.js` as an ES module (the repository's package.json says
 * `"type": "module"`, ~10–30 ms more a start), while covenantd runs its installed copy as
 * CommonJS. The baseline runs the same file the same way.
 */
export function installHello(
  repo: string,
  cli: string,
  env: NodeJS.ProcessEnv,
  scratch: string,
  { id = 'hello', backend, warm, sandboxRequired }: { id?: string; backend?: string; warm?: boolean; sandboxRequired?: boolean } = {},
): string {
  const pkg = helloPackageDir(scratch, id);
  cpSync(join(repo, 'agents', 'hello'), pkg, { recursive: true });
  let manifest = readFileSync(join(pkg, 'agent.toml'), 'utf8').replace('id = "hello"', `id = "${id}"`);
  if (warm !== undefined) manifest = manifest.replace('warm = true', `warm = ${warm}`);
  if (sandboxRequired !== undefined || backend !== undefined) {
    manifest = manifest.replace('required = false', `required = ${sandboxRequired ?? false}${backend === undefined ? '' : `\nbackend = "${backend}"`}`);
  }
  writeFileSync(join(pkg, 'agent.toml'), manifest);
  const install = spawnSync(process.execPath, [cli, 'agents', 'install', pkg, '--json'], { env, encoding: 'utf8' });
  if (install.status !== 0) throw new Error(`agents install ${id} failed: ${install.stdout}${install.stderr}`);
  return pkg;
}
