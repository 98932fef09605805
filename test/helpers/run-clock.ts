/**
 * The clock agent runs are measured (and charged) on: every run lasts exactly `runMs`, however
 * long it really took, so a test's credits do not depend on how busy the machine is (the
 * supervisor reads it once when a run starts and once when it ends; the runs of these tests
 * never overlap). `runMs = null` measures real time, for a test about the real duration.
 */
export class SteppedRunClock {
  runMs: number | null = 400;
  private at = 0;
  readonly now = (): number => (this.runMs === null ? performance.now() : (this.at += this.runMs));
}
