/**
 * Policy: the `.covenantignore` gate (SPEC 7). Other folders import only this file.
 */
export { IgnoreGate, AGENT_IGNORE_FILE } from './gate.js';
export type { IgnoreVerdict, IgnoreGateOptions } from './gate.js';
export { DEFAULT_IGNORE_RULES, DEFAULT_IGNORE_FILE } from './default-rules.js';
export { extractCandidates, looksLikePath, normalisePath, pathSuffixes } from './candidates.js';
export type { Candidate } from './candidates.js';
export { parseRules } from './rules.js';
