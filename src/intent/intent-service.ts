import type { AuditLog } from '../audit/index.js';
import type { Clock } from '../core/index.js';
import { LocalEmbedder, type Embedder } from '../memory/index.js';
import type { Db } from '../store/index.js';
import {
  DispatchPipeline,
  type AgentCatalog,
  type BudgetGate,
  type IgnoreGate,
  type IntentOutcome,
  type IntentRequest,
  type PipelineDeps,
  type RunnerSource,
} from './pipeline.js';
import { IntentRouter } from './router.js';

export type { IntentOutcome, IntentRequest } from './pipeline.js';

/** What the daemon plugs into the pipeline; every field is optional (absent: that step is skipped). */
export interface IntentServiceDeps {
  agents?: AgentCatalog;
  runners?: RunnerSource;
  authorize?: PipelineDeps['authorize'];
  ignore?: IgnoreGate;
  budget?: BudgetGate;
  embedder?: Embedder;
  log?: PipelineDeps['log'];
}

/**
 * Intents: everything goes through the dispatch pipeline (`pipeline.ts`). Without installed
 * agents every intent gets the echo answer.
 */
export class IntentService {
  readonly pipeline: DispatchPipeline;
  readonly router: IntentRouter;

  constructor(db: Db, audit: AuditLog, clock: Clock, deps: IntentServiceDeps = {}) {
    const embedder = deps.embedder ?? new LocalEmbedder();
    this.router = new IntentRouter(embedder);
    const pipelineDeps: PipelineDeps = { db, audit, clock, embedder, router: this.router };
    if (deps.agents) pipelineDeps.agents = deps.agents;
    if (deps.runners) pipelineDeps.runners = deps.runners;
    if (deps.authorize) pipelineDeps.authorize = deps.authorize;
    if (deps.ignore) pipelineDeps.ignore = deps.ignore;
    if (deps.budget) pipelineDeps.budget = deps.budget;
    if (deps.log) pipelineDeps.log = deps.log;
    this.pipeline = new DispatchPipeline(pipelineDeps);
  }

  submit(request: IntentRequest): Promise<IntentOutcome> {
    return this.pipeline.submit(request);
  }

  /** Aborts runs in flight and waits for them to settle (daemon shutdown). */
  close(): Promise<void> {
    return this.pipeline.close();
  }
}
