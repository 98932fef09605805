/** The state verifier: cross-store drift checks and targeted repairs. Other folders import only this file. */
export { verifyState, resolveWindow, MAX_PARENT_WALK, type VerifyDeps } from './verify.js';
export { memoryRepair, type RepairDeps, type RepairInput } from './repair.js';
export { repairCommand, shellWord, splitCommandLine } from './commands.js';
