/**
 * Budgets (SPEC 14): token buckets per agent, admission and debit around a run, preemption,
 * paused-intent checkpoints and resume. Other folders import only this file.
 */
export { BudgetService } from './service.js';
export type {
  AdmitRefusal,
  AdmitResult,
  BudgetStep,
  BudgetEntry,
  BudgetServiceDeps,
  PausableIntent,
  ResumeResult,
  ResumeSubmit,
  RunGuard,
} from './service.js';
export { realTimeDeadline } from './deadline-timer.js';
export type { DeadlineTimer } from './deadline-timer.js';
export { BudgetStore } from './store.js';
export type { BucketRow, BudgetSource, CheckpointRow, PauseReason } from './store.js';
export {
  ADMIT_CREDITS,
  MS_PER_HOUR,
  deadlineForBalance,
  msUntil,
  refill,
  roundCredits,
} from './bucket.js';
export type { BucketState } from './bucket.js';
