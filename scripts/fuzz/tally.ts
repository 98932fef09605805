/** What the fuzz counts, and a few examples of each finding (the frames themselves can be MiB). */
export interface CaseLabel {
  n: number;
  lane: string;
  category: string;
  kind: string;
  bytes: number;
  /** The whole method and path of an HTTP case, for --trace. */
  full?: string;
}

export const DEFAULT_SAMPLES = 8;

export class FuzzTally {
  /** Examples kept per finding. */
  constructor(private readonly sampleLimit = DEFAULT_SAMPLES) {}

  readonly frames = { ipc_pre_auth: 0, ipc_guest: 0, ipc_operator: 0, http: 0 };
  replies = 0;
  refusals = 0;
  refusalRows = 0;
  crashes = 0;
  hangs = 0;
  unresponsive = 0;
  unaudited = 0;
  shapes = 0;
  internal = 0;
  closedWithoutReply = 0;
  leaks = 0;
  restarts = 0;
  readonly samples: Record<'crashes' | 'hangs' | 'unaudited' | 'shapes' | 'leaks' | 'closed_without_reply' | 'internal', Array<CaseLabel & { detail: string }>> = {
    crashes: [],
    hangs: [],
    unaudited: [],
    shapes: [],
    leaks: [],
    closed_without_reply: [],
    internal: [],
  };

  sample(which: keyof FuzzTally['samples'], label: CaseLabel, detail: string): void {
    const list = this.samples[which];
    const { full: _full, ...short } = label;
    if (list.length < this.sampleLimit) list.push({ ...short, detail: detail.slice(0, 300) });
  }

  get framesSent(): number {
    return Object.values(this.frames).reduce((sum, n) => sum + n, 0);
  }
}
