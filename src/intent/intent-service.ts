import type { AuditLog } from '../audit/index.js';
import type { Clock } from '../core/index.js';
import { LocalEmbedder, type Embedder } from '../memory/index.js';
import type { Db } from '../store/index.js';
import type { IntentOutcome } from '../protocol/index.js';
import { DispatchPipeline, type IntentPrincipal, type IntentRequest, type PipelineDeps } from './pipeline.js';
import { IntentRouter } from './router.js';

export type { IntentRequest } from './pipeline.js';

/** What the daemon plugs into the pipeline: every step's dependency (none may be left out). */
export type IntentServiceDeps<P extends IntentPrincipal> = Omit<PipelineDeps<P>, 'db' | 'audit' | 'clock' | 'router'> & {
  /** The router's embedder (agent cards, intents); default the local one. */
  embedder?: Embedder;
};

/** Intents: everything goes through the dispatch pipeline (`pipeline.ts`). */
export class IntentService<P extends IntentPrincipal> {
  readonly pipeline: DispatchPipeline<P>;
  readonly router: IntentRouter;

  constructor(db: Db, audit: AuditLog, clock: Clock, deps: IntentServiceDeps<P>) {
    const { embedder, ...steps } = deps;
    this.router = new IntentRouter(embedder ?? new LocalEmbedder());
    this.pipeline = new DispatchPipeline({ db, audit, clock, router: this.router, ...steps });
  }

  submit(request: IntentRequest<P>): Promise<IntentOutcome> {
    return this.pipeline.submit(request);
  }

  /** Aborts runs in flight and waits for them to settle (daemon shutdown). */
  close(): Promise<void> {
    return this.pipeline.close();
  }
}
