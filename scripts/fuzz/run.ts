import { gatewayRoutes } from '../../src/gateway/app.js';
import { tempDir } from '../../test/helpers/temp-home.js';
import { assertBuilt, stopDaemon } from '../harness/daemon.js';
import { Rng } from '../harness/rng.js';
import type { DecodedFrame } from '../../src/ipc/framing.js';
import { FuzzConnection, type WaitResult } from './connection.js';
import { httpCase, type HttpCase } from './http-cases.js';
import { sendHttp, type HttpResult } from './http-send.js';
import { ipcCase, type IpcLane } from './ipc-cases.js';
import { auditFindings, judgeHttpReply, judgeIpcReply, leakedTokens } from './judge.js';
import { goldenRequests, type Message } from './requests.js';
import { FuzzTally, type CaseLabel } from './tally.js';
import { FuzzTarget } from './target.js';
import { Values } from './values.js';

export interface FuzzOptions {
  frames: number;
  seed: number;
  /** The generous bound on one answer (ms); past it the request counts as a hang. */
  boundMs: number;
  keep: boolean;
  /** Also fail on replies that are not the error shape and on leaked tokens. */
  strict: boolean;
  /** Prints every case (number, lane, category, kind, size) to stderr, to find the one that did it. */
  trace: boolean;
  /** Self-test: SIGKILL covenantd once, halfway, to show a crash is counted and survived. */
  injectCrash: boolean;
  /** Examples kept per finding (default 8). */
  samples: number;
}

export interface FuzzReport {
  kind: 'fuzz_report';
  seed: number;
  frames_requested: number;
  frames_sent: number;
  frames: FuzzTally['frames'];
  replies: number;
  refusals: number;
  refusal_rows: number;
  daemon_crashes: number;
  hangs: number;
  unresponsive: number;
  unaudited_refusals: number;
  non_error_shape_replies: number;
  internal_errors: number;
  closed_without_reply: number;
  token_leaks: number;
  restarts: number;
  aborted: string | null;
  samples: FuzzTally['samples'];
  strict: boolean;
  ok: boolean;
}

const LANE_WEIGHTS = { pre_auth: 25, guest: 25, operator: 20, http: 30 } as const;
const LANE_COUNTER = { pre_auth: 'ipc_pre_auth', guest: 'ipc_guest', operator: 'ipc_operator' } as const;

export async function runFuzz(options: FuzzOptions, progress: (line: string) => void): Promise<FuzzReport> {
  assertBuilt();
  const { dir, cleanup } = tempDir('covenant-fuzz-');
  const target = new FuzzTarget(dir, options.boundMs);
  const run = new FuzzRun(target, new Rng(options.seed), options.trace, options.samples);
  try {
    await target.start();
    await run.loop(options.frames, progress, options.injectCrash ? Math.max(1, Math.floor(options.frames / 2)) : null);
  } finally {
    if (target.daemon) await stopDaemon(target.daemon, options.boundMs);
    await target.stop();
    if (options.keep) process.stderr.write(`kept ${dir}\n`);
    else cleanup();
  }
  const t = run.tally;
  const failed = t.crashes > 0 || t.hangs > 0 || t.unaudited > 0 || run.aborted !== null || t.framesSent < options.frames || (options.strict && (t.shapes > 0 || t.leaks > 0));
  return {
    kind: 'fuzz_report',
    seed: options.seed,
    frames_requested: options.frames,
    frames_sent: t.framesSent,
    frames: t.frames,
    replies: t.replies,
    refusals: t.refusals,
    refusal_rows: t.refusalRows,
    daemon_crashes: t.crashes,
    hangs: t.hangs,
    unresponsive: t.unresponsive,
    unaudited_refusals: t.unaudited,
    non_error_shape_replies: t.shapes,
    internal_errors: t.internal,
    closed_without_reply: t.closedWithoutReply,
    token_leaks: t.leaks,
    restarts: t.restarts,
    aborted: run.aborted,
    samples: t.samples,
    strict: options.strict,
    ok: !failed,
  };
}

/** Answers after which covenantd closes the connection: the lane is not reused. */
function closesConnection(frame: DecodedFrame): boolean {
  if (frame.type !== 'message' || typeof frame.value !== 'object' || frame.value === null) return true;
  const reply = frame.value as Record<string, unknown>;
  return reply.kind === 'authentication_failed' || reply.code === 'E_FRAME_TOO_LARGE' || reply.code === 'E_AUTH_FAILED';
}

class FuzzRun {
  readonly tally: FuzzTally;
  aborted: string | null = null;
  private readonly values: Values;
  private readonly golden: Message[] = goldenRequests();
  private readonly routes = gatewayRoutes();
  private lastSeq = 0;
  private unreachableInARow = 0;
  private previous: CaseLabel = { n: 0, lane: 'setup', category: 'setup', kind: '', bytes: 0 };

  constructor(
    private readonly target: FuzzTarget,
    private readonly rng: Rng,
    private readonly trace: boolean,
    samples: number,
  ) {
    this.tally = new FuzzTally(samples);
    this.values = new Values(rng, () => [target.tokens.operator, target.tokens.guest, target.tokens.revoked]);
  }

  async loop(frames: number, progress: (line: string) => void, killAt: number | null): Promise<void> {
    const every = Math.max(1, Math.floor(frames / 10));
    let reported = 0;
    while (this.tally.framesSent < frames && this.aborted === null) {
      if (this.tally.framesSent === killAt) {
        killAt = null;
        this.target.daemon.child.kill('SIGKILL');
        await this.target.daemon.exited;
      }
      // A crash right after an answer shows up here, charged to the case that was answered.
      if (!this.target.daemon.alive()) await this.crashed(this.previous);
      if (this.aborted !== null) break;
      const lane = this.rng.weighted(LANE_WEIGHTS);
      if (lane === 'http') await this.httpStep();
      else await this.ipcStep(lane);
      const sent = this.tally.framesSent;
      if (sent - reported >= every) {
        reported = sent;
        const t = this.tally;
        progress(`${sent}/${frames} frames: ${t.crashes} crashes, ${t.hangs} hangs, ${t.unaudited} unaudited refusals, ${t.shapes} odd replies`);
      }
    }
    // The last case can end the daemon too.
    if (this.aborted === null) await this.crashedNow(this.previous);
  }

  private async ipcStep(lane: IpcLane): Promise<void> {
    const tokens = this.target.tokens;
    const fuzzCase = ipcCase(this.rng, this.values, this.golden, lane, () => (lane === 'guest' ? tokens.guest : tokens.operator));
    const label: CaseLabel = { n: this.tally.framesSent + 1, lane: `ipc_${lane}`, category: fuzzCase.category, kind: fuzzCase.kind, bytes: fuzzCase.bytes.length };
    const connection = await this.connection(lane);
    if (!connection) {
      await this.unreachable(label);
      return;
    }
    this.resyncAudit();
    this.tally.frames[LANE_COUNTER[lane]] += 1;
    this.sent(label);
    const before = connection.frames.length;
    connection.write(fuzzCase.bytes);
    // Before authentication only the first frame is answered; after it, every complete frame.
    const expected = lane === 'pre_auth' ? Math.min(1, fuzzCase.completeFrames) : fuzzCase.completeFrames;
    const wait: WaitResult | 'none' = expected > 0 ? await connection.waitFrames(before + expected, this.target.bound) : 'none';
    const replies = connection.frames.slice(before);
    if (lane === 'pre_auth' || fuzzCase.unfinished || fuzzCase.oversized || wait !== 'ok' || connection.closed || replies.some(closesConnection)) {
      if (fuzzCase.unfinished && wait !== 'timeout') connection.end();
      else connection.destroy();
      if (lane !== 'pre_auth') this.target.lanes[lane] = null;
    }
    if (wait === 'timeout') {
      await this.hung(label);
      return;
    }
    if (wait === 'closed' && replies.length < expected) {
      if (await this.crashedNow(label)) return;
      this.tally.closedWithoutReply += 1;
      this.tally.sample('closed_without_reply', label, `${replies.length} of ${expected} answer(s) before the close`);
    }
    let refusals = 0;
    const codes: string[] = [];
    for (const reply of replies) {
      this.tally.replies += 1;
      const verdict = judgeIpcReply(reply);
      if (verdict.refusal) {
        refusals += 1;
        const value = reply.type === 'message' ? (reply.value as Record<string, unknown>) : {};
        codes.push(String(value.code ?? value.kind));
      }
      this.judged(label, verdict);
      if (reply.type === 'message') this.learnTokens(reply.value);
    }
    this.account(label, refusals, codes);
  }

  private async httpStep(): Promise<void> {
    let fuzzCase: HttpCase | null = null;
    let result: HttpResult = { type: 'unsendable', message: '' };
    this.resyncAudit();
    for (let attempt = 0; attempt < 5 && result.type === 'unsendable'; attempt += 1) {
      fuzzCase = httpCase(this.rng, this.values, this.golden, this.routes, this.target.tokens);
      result = await sendHttp(this.target.port, fuzzCase.attempt, this.target.bound);
    }
    if (!fuzzCase || result.type === 'unsendable') return;
    const { method, path, body } = fuzzCase.attempt;
    const label: CaseLabel = {
      n: this.tally.framesSent + 1,
      lane: 'http',
      category: `${fuzzCase.auth} ${fuzzCase.category}`,
      kind: `${method} ${path.slice(0, 60)}`,
      full: `${method} ${path.slice(0, 4000)}`,
      bytes: body?.length ?? 0,
    };
    this.tally.frames.http += 1;
    this.sent(label);
    if (result.type === 'timeout') {
      await this.hung(label);
      return;
    }
    if (result.type === 'error') {
      if (await this.crashedNow(label)) return;
      this.tally.closedWithoutReply += 1;
      this.tally.sample('closed_without_reply', label, result.message);
      this.account(label, 0, []);
      return;
    }
    this.tally.replies += 1;
    const verdict = judgeHttpReply(method, result.status, result.contentType, result.body);
    this.judged(label, verdict);
    if (result.status < 400 && !result.stream) {
      try {
        this.learnTokens(JSON.parse(result.body.toString('utf8')));
      } catch {
        // not JSON: nothing to learn
      }
    }
    this.account(label, verdict.refusal ? 1 : 0, verdict.refusal ? [`${result.status}`] : []);
  }

  private sent(label: CaseLabel): void {
    this.previous = label;
    this.unreachableInARow = 0;
    if (this.trace) process.stderr.write(`#${label.n} ${label.lane} ${label.category} ${JSON.stringify(label.full ?? label.kind)} ${label.bytes}\n`);
  }

  private judged(label: CaseLabel, verdict: { internal: boolean; shapeProblem: string | null; refusalText: string | null }): void {
    if (verdict.internal) {
      this.tally.internal += 1;
      this.tally.sample('internal', label, verdict.refusalText ?? '');
    }
    if (verdict.shapeProblem) {
      this.tally.shapes += 1;
      this.tally.sample('shapes', label, verdict.shapeProblem);
    }
    if (verdict.refusalText && leakedTokens(verdict.refusalText, this.target.tokens.all).length > 0) {
      this.tally.leaks += 1;
      this.tally.sample('leaks', label, 'a full token in the error answer');
    }
  }

  /** Rotations and new peers hand out tokens: follow the operator's, remember all for leak checks. */
  private learnTokens(value: unknown): void {
    if (typeof value !== 'object' || value === null) return;
    const reply = value as Record<string, unknown>;
    if (typeof reply.token_b58 !== 'string') return;
    this.target.tokens.all.add(reply.token_b58);
    if (reply.kind === 'operator_token_rotated') {
      this.target.tokens.operator = reply.token_b58;
      this.target.lanes.operator?.destroy();
      this.target.lanes.operator = null;
    }
  }

  /** Every refusal answered must have left a refusal row (rows are committed before the answer). */
  private account(label: CaseLabel, refusals: number, codes: string[]): void {
    this.tally.refusals += refusals;
    const rows = this.target.audit.rowsAfter(this.lastSeq);
    if (rows.length > 0) this.lastSeq = rows[rows.length - 1]!.seq;
    const found = auditFindings(rows, refusals, this.target.tokens.all);
    for (const kind of found.leakingRows) {
      this.tally.leaks += 1;
      this.tally.sample('leaks', label, `a full token in a ${kind} audit row`);
    }
    this.tally.refusalRows += refusals - found.unaudited;
    if (found.unaudited > 0) {
      this.tally.unaudited += found.unaudited;
      this.tally.sample('unaudited', label, `answered ${codes.join(', ')}; audit rows: ${rows.map((r) => r.kind).join(', ') || 'none'}`);
    }
  }

  private resyncAudit(): void {
    this.lastSeq = this.target.audit.maxSeq();
  }

  private async connection(lane: IpcLane): Promise<FuzzConnection | null> {
    try {
      if (lane === 'guest') return await this.target.guestLane();
      if (lane === 'operator') return await this.target.operatorLane();
      return await FuzzConnection.open(this.target.sock);
    } catch {
      return null;
    }
  }

  /** No connection could be made: a crash the last case caused, or a daemon that stopped answering. */
  private async unreachable(label: CaseLabel): Promise<void> {
    if (await this.crashedNow(this.previous)) return;
    this.unreachableInARow += 1;
    if (this.unreachableInARow >= 3) {
      this.aborted = `could not connect and authenticate ${this.unreachableInARow} times in a row, even after a restart`;
      return;
    }
    this.tally.unresponsive += 1;
    this.tally.sample('hangs', label, 'could not connect and authenticate');
    await this.restart();
  }

  /**
   * Did the daemon exit? Waits for its exit or a protocol_info answer, whichever comes first; with
   * no answer, for the exit up to the bound (the exit event can trail the closed socket).
   */
  private async crashedNow(label: CaseLabel): Promise<boolean> {
    const { daemon } = this.target;
    const answered = await Promise.race([daemon.exited.then(() => false), this.target.answers()]);
    if (answered && daemon.alive()) return false;
    if (daemon.alive()) {
      let timer: NodeJS.Timeout | undefined;
      const exited = await Promise.race([
        daemon.exited.then(() => true),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), this.target.bound);
        }),
      ]);
      clearTimeout(timer);
      if (!exited) return false;
    }
    await this.crashed(label);
    return true;
  }

  private async crashed(label: CaseLabel): Promise<void> {
    const exit = await this.target.daemon.exited;
    // What the process printed on its way out: the uncaught exception's first lines, not its JSON log lines.
    const printed = this.target.daemon.stderr().split('\n').filter((line) => line.trim() !== '' && !line.startsWith('{'));
    const at = printed.findIndex((line) => /^\w*Error\b|^Uncaught|^node:internal/.test(line.trim()));
    const stderr = (at >= 0 ? printed.slice(at, at + 3) : printed.slice(-3)).map((l) => l.trim()).join(' | ') || 'no crash output';
    this.tally.crashes += 1;
    this.tally.sample('crashes', label, `exit ${exit.code ?? exit.signal}: ${stderr}`);
    await this.restart();
  }

  private async hung(label: CaseLabel): Promise<void> {
    this.tally.hangs += 1;
    this.tally.sample('hangs', label, `no answer within ${this.target.bound} ms`);
    const answered = await Promise.race([this.target.daemon.exited.then(() => false), this.target.pingAnswers()]);
    if (!this.target.daemon.alive()) {
      await this.crashed(label);
      return;
    }
    if (!answered) {
      this.tally.unresponsive += 1;
      await this.restart();
    }
  }

  private async restart(): Promise<void> {
    this.tally.restarts += 1;
    try {
      await this.target.restart();
      this.resyncAudit();
    } catch (error) {
      this.aborted = `covenantd did not start again: ${error instanceof Error ? error.message.slice(0, 300) : String(error)}`;
    }
  }
}
