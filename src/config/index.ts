/** config.toml: the one schema, its check (key and line of every problem), the daemon's config in use, and `config show`. */
export { ConfigSchema, type Config } from './schema.js';
export { checkConfigFile, checkConfigText, formatProblem, keyName, type ConfigCheck, type ConfigProblem } from './check.js';
export { DaemonConfig, configInvalidMessage, type ConfigRefusal } from './daemon-config.js';
export { effectiveToml, effectiveView, secretHint } from './show.js';
export { definedPaths, lineOfKey, type KeyPath } from './toml-lines.js';
