/** The state verifier: cross-store drift checks and targeted repairs. Other folders import only this file. */
export * from './schema.js';
export { verifyState, resolveWindow, MAX_PARENT_WALK, type VerifyDeps } from './verify.js';
export { memoryRepair, MAX_REPAIR_REASON, type RepairDeps, type RepairInput } from './repair.js';
export { repairCommand, shellWord, splitCommandLine } from './commands.js';
