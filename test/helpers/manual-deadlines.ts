import type { DeadlineTimer } from '../../src/budget/index.js';

/**
 * Budget deadlines an in-process test fires itself (DaemonOptions.budgetDeadlineTimer): a run is
 * preempted when the test says so, never because a busy machine ran the agent slowly.
 */
export class ManualDeadlines {
  private readonly pending = new Map<number, { ms: number; fire: () => void }>();
  private next = 0;

  readonly timer: DeadlineTimer = (ms, fire) => {
    const id = (this.next += 1);
    this.pending.set(id, { ms, fire });
    return () => this.pending.delete(id);
  };

  /** The deadlines (ms) of the runs now under way, oldest first. */
  armed(): number[] {
    return [...this.pending.values()].map((deadline) => deadline.ms);
  }

  /** Fires every armed deadline, as if each run had used the wall time its balance pays for. */
  expire(): void {
    const due = [...this.pending.values()];
    this.pending.clear();
    for (const deadline of due) deadline.fire();
  }
}
