import type { Migration } from '../migration.js';
import { foundation } from './001_foundation.js';
import { capabilities } from './002_capabilities.js';

/** Every schema change, in order. Append only: a shipped migration is never edited. */
export const MIGRATIONS: readonly Migration[] = [foundation, capabilities];
