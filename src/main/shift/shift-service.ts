/**
 * The agent's shift at the seat (issue 12 item 5), in main: sign-in confirms the agent id for a shift (with a face
 * check against the agent's enrolled photo when 设置 → shiftFaceCheck is on), random face checks during the shift
 * (the renderer answers each with frames of the agent's own camera), sign-out. The queue asks presenceGate() before
 * any state but offline: no shift, no seat. A failed random check sets the seat 小休 with 'presence_check_failed'.
 * Every step is an event of the shift log (./shift-log.ts), never of a customer case; nothing here is synced.
 */
import { randomUUID } from 'node:crypto';
import { AppFailure } from '../../shared/errors';
import type { Notice } from '../../shared/contract';
import type { AgentState } from '../../shared/queue';
import { MAX_ENROL_PHOTO_BYTES, type ShiftCheck, type ShiftCheckKind, type ShiftEndReason, type ShiftEnrolment, type ShiftFaceCheckSettings, type Shift, type ShiftHistoryEntry, type ShiftStatus } from '../../shared/shift';
import { assertStillImage } from '../engine/image-type';
import type { Logger } from '../log/logger';
import type { RandomSource } from '../verification/challenge';
import { CheckScheduler, type SchedulerTimers } from './check-scheduler';
import type { EnrolmentStore } from './enrolment-store';
import { decodeFrames, runPresenceCheck, type PresenceEngine, type PresenceOutcome } from './presence-check';
import type { ShiftLog } from './shift-log';

/** The queue seat as the shift needs it: set a state (with a reason of the workstation's own) and read it. */
export interface ShiftQueueSeat {
  setState(state: AgentState, localReason?: string | null): Promise<unknown>;
  current(): { state: AgentState };
}

export interface ShiftServiceOptions {
  log: ShiftLog;
  enrolments: EnrolmentStore;
  engine: PresenceEngine | null;
  settings: () => { agentId: string; shiftFaceCheck: ShiftFaceCheckSettings };
  /** Sign-in with another agent id than 设置's makes it 设置's (the queue and the cases use that one). */
  setAgentId: (agentId: string) => Promise<void>;
  queue: () => ShiftQueueSeat | null;
  emit: (status: ShiftStatus) => void;
  notice: (notice: Notice) => void;
  logger: Logger;
  random: RandomSource;
  /** How long the renderer has to answer a random check with frames before it counts as missed (default 120 s). */
  answerTimeoutMs?: number;
  now?: () => number;
  timers?: SchedulerTimers;
}

export const PRESENCE_FAILED_REASON = 'presence_check_failed';

/** Shown as they are (Chinese by default, like the queue's own refusals). */
export const SHIFT_MESSAGES = {
  signInFirst: '请先签到上班（状态栏“签到”），再上线接听',
  agentChanged: '坐席工号已在“设置”中更改：请先签退并用新工号重新签到',
  presenceFailed: '在岗人脸核验未通过：请点击“重新核验”，通过后才能示闲',
  notEnrolled: (agentId: string) => `坐席 ${agentId} 尚未登记本人照片（或照片是用旧版人脸模型登记的）：请在“设置 → 在岗核验”中登记后再签到`,
  noFrames: '在岗核验已启用：签到需要摄像头画面，请允许使用摄像头',
  engineDown: '分析引擎未就绪，暂时无法进行在岗人脸核验，请稍后重试',
  alreadySignedIn: (agentId: string) => `坐席 ${agentId} 已签到：请先签退`,
  checkRunning: '在岗核验正在进行中',
  checkGone: '这次在岗核验已结束（已超时或已完成）',
  refused: {
    fail: '签到被拒绝：摄像头前的人脸与登记照片不符',
    no_face: '签到被拒绝：摄像头画面中未检测到人脸，请正对摄像头后重试',
    several_faces: '签到被拒绝：摄像头画面中有多张人脸，请确保只有本人在画面中',
    missed: '签到被拒绝：未收到摄像头画面',
  },
  enrolFaces: (n: number) => `登记照片中须恰好有一张人脸（找到 ${n} 张）：请换一张本人正面清晰照片`,
} as const;

const ANSWER_TIMEOUT_MS = 120_000;

export class ShiftService {
  private shift: Shift | null = null;
  private presenceOk = true;
  private lastCheck: ShiftCheck | null = null;
  private due: { checkId: string; dueAt: number; answerBy: number; timer: unknown } | null = null;
  private checking = false;
  private readonly scheduler: CheckScheduler;
  private readonly timers: SchedulerTimers;
  private readonly now: () => number;
  private readonly logger: Logger;
  private lastPolicy: ShiftFaceCheckSettings;

  constructor(private readonly options: ShiftServiceOptions) {
    this.now = options.now ?? Date.now;
    this.logger = options.logger.child({ component: 'shift' });
    this.timers = options.timers ?? {
      setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
      clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
    };
    this.scheduler = new CheckScheduler({ random: options.random, onDue: () => this.onDue(), now: this.now, timers: this.timers });
    this.lastPolicy = options.settings().shiftFaceCheck;
    // a shift the app did not end (killed, power lost) is closed now: no seat survives a restart unconfirmed
    for (const open of options.log.openShifts()) options.log.end(open.shiftId, 'not_closed');
  }

  status(): ShiftStatus {
    const { agentId, shiftFaceCheck } = this.options.settings();
    const enrolment = this.enrolmentInfo(agentId);
    return {
      shift: this.shift ? { ...this.shift } : null,
      faceCheck: { ...shiftFaceCheck },
      enrolment,
      lastCheck: this.lastCheck ? structuredClone(this.lastCheck) : null,
      presenceOk: this.presenceOk,
      checkDue: this.due ? { checkId: this.due.checkId, dueAt: this.due.dueAt, answerBy: this.due.answerBy } : null,
      nextCheckScheduled: this.scheduler.next() !== null,
    };
  }

  /** The queue's gate (QueueService presenceGate): throws FORBIDDEN when the seat may not take `state`. */
  presenceGate(state: AgentState): void {
    if (state === 'offline') return;
    if (!this.shift) throw new AppFailure('FORBIDDEN', SHIFT_MESSAGES.signInFirst);
    const { agentId, shiftFaceCheck } = this.options.settings();
    if (this.shift.agentId !== agentId) throw new AppFailure('FORBIDDEN', SHIFT_MESSAGES.agentChanged);
    if (state === 'ready' && shiftFaceCheck.enabled && !this.presenceOk) throw new AppFailure('FORBIDDEN', SHIFT_MESSAGES.presenceFailed);
  }

  async signIn(agentId: string, frames: readonly string[] | undefined): Promise<ShiftStatus> {
    if (this.shift) {
      if (this.shift.agentId === agentId) return this.status();
      throw new AppFailure('FORBIDDEN', SHIFT_MESSAGES.alreadySignedIn(this.shift.agentId));
    }
    const policy = this.options.settings().shiftFaceCheck;
    let outcome: PresenceOutcome | null = null;
    if (policy.enabled) {
      const engine = this.requireEngine();
      const enrolment = this.enrolmentFor(agentId, engine);
      if (!frames || frames.length === 0) throw new AppFailure('INVALID_INPUT', SHIFT_MESSAGES.noFrames);
      // bad frames are refused before anything is written
      const bytes = decodeFrames(frames);
      outcome = await this.exclusive(() => runPresenceCheck(engine, bytes, enrolment.embedding));
    }
    if (outcome && outcome.result !== 'pass') {
      // the refused attempt is kept: a shift that started and ended at once, with the check that refused it
      const refused = this.options.log.start(agentId, { faceCheck: policy });
      this.record(refused.shiftId, 'sign_in', outcome);
      this.options.log.end(refused.shiftId, 'sign_in_refused');
      this.logger.warn({ agentId, result: outcome.result, score: outcome.score }, 'shift sign-in refused by the face check');
      this.emit();
      throw new AppFailure('FORBIDDEN', SHIFT_MESSAGES.refused[outcome.result as keyof typeof SHIFT_MESSAGES.refused]);
    }
    if (this.options.settings().agentId !== agentId) await this.options.setAgentId(agentId);
    this.shift = this.options.log.start(agentId, { faceCheck: policy });
    this.lastPolicy = policy;
    this.presenceOk = true;
    this.lastCheck = null;
    if (outcome) this.record(this.shift.shiftId, 'sign_in', outcome);
    if (policy.enabled) this.scheduler.scheduleNext(policy.minIntervalMin, policy.maxIntervalMin);
    this.logger.info({ agentId, shiftId: this.shift.shiftId, faceCheck: policy.enabled }, 'shift started');
    this.emit();
    return this.status();
  }

  /** Ends the shift: the seat is taken off the queue first (best effort), then 'shift.ended'. */
  async signOut(reason: ShiftEndReason = 'signed_out'): Promise<ShiftStatus> {
    const shift = this.shift;
    if (!shift) return this.status();
    this.stopChecks();
    const seat = this.options.queue();
    if (seat && seat.current().state !== 'offline') {
      await seat.setState('offline').catch((error: unknown) => this.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'signing the seat out of the queue at shift end failed'));
    }
    this.options.log.end(shift.shiftId, reason);
    this.shift = null;
    this.presenceOk = true;
    this.lastCheck = null;
    this.logger.info({ agentId: shift.agentId, shiftId: shift.shiftId, reason }, 'shift ended');
    this.emit();
    return this.status();
  }

  /** Frames for the random check that is due (checkId), or a retry the agent asked for after a failure. */
  async check(checkId: string | undefined, frames: readonly string[]): Promise<ShiftStatus> {
    const shift = this.shift;
    if (!shift) throw new AppFailure('FORBIDDEN', SHIFT_MESSAGES.signInFirst);
    if (checkId !== undefined && this.due?.checkId !== checkId) throw new AppFailure('NOT_FOUND', SHIFT_MESSAGES.checkGone);
    const engine = this.requireEngine();
    const enrolment = this.enrolmentFor(shift.agentId, engine);
    const bytes = decodeFrames(frames);
    // answering the due check, whether the renderer named it or the agent pressed 重新核验 while it was due
    const kind: ShiftCheckKind = this.due ? 'random' : 'retry';
    const outcome = await this.exclusive(() => runPresenceCheck(engine, bytes, enrolment.embedding));
    if (this.shift !== shift) throw new AppFailure('FORBIDDEN', SHIFT_MESSAGES.signInFirst);
    if (kind === 'random') this.clearDue();
    await this.conclude(shift, kind, outcome);
    return this.status();
  }

  /** The agent's enrolled photo (replaces an earlier one): exactly one face; only its embedding is kept. */
  async enrol(agentId: string, base64: string): Promise<ShiftEnrolment> {
    const engine = this.requireEngine();
    const bytes = Buffer.from(base64, 'base64');
    if (bytes.length > MAX_ENROL_PHOTO_BYTES) throw new AppFailure('CORRUPT_INPUT', `the photo is too large (${(bytes.length / 1e6).toFixed(1)} MB, at most 10 MB)`);
    assertStillImage(bytes);
    const analysis = await engine.analyzeImage(bytes);
    if (analysis.faces.length !== 1 || !analysis.embedding) throw new AppFailure('INVALID_INPUT', SHIFT_MESSAGES.enrolFaces(analysis.faces.length));
    const { modelSha256 } = engine.getCalibration();
    const enrolledAt = this.now();
    this.options.enrolments.save({ agentId, embedding: Float32Array.from(analysis.embedding), modelSha256, enrolledAt });
    this.logger.info({ agentId }, 'agent enrolled for shift face checks');
    this.emit();
    return { agentId, enrolledAt, modelSha256 };
  }

  history(limit?: number): ShiftHistoryEntry[] {
    return this.options.log.history(limit);
  }

  /** 设置 changed: another agent id ends the shift; a policy change during a shift is logged and applied. */
  onSettingsChanged(next: { agentId: string; shiftFaceCheck: ShiftFaceCheckSettings }): void {
    const shift = this.shift;
    const policy = next.shiftFaceCheck;
    const policyChanged = JSON.stringify(policy) !== JSON.stringify(this.lastPolicy);
    this.lastPolicy = policy;
    if (!shift) {
      if (policyChanged) this.emit();
      return;
    }
    if (next.agentId !== shift.agentId) {
      void this.signOut('agent_changed');
      return;
    }
    if (!policyChanged) return;
    this.options.log.append(shift.shiftId, 'shift.policy_changed', { faceCheck: policy });
    if (!policy.enabled) {
      this.stopChecks();
      this.presenceOk = true;
    } else if (!this.due) {
      // turned on during the shift: the person at the seat has not been checked yet, so the first check is now
      this.onDue();
      return;
    }
    this.emit();
  }

  /** App shutdown: timers stopped, the shift ended (the queue signs the seat out itself). */
  close(): void {
    this.stopChecks();
    if (this.shift) this.options.log.end(this.shift.shiftId, 'app_closed');
    this.shift = null;
  }

  // ---- internals ------------------------------------------------------------------------------------------

  private onDue(): void {
    if (!this.shift || this.due) return;
    const dueAt = this.now();
    const answerMs = this.options.answerTimeoutMs ?? ANSWER_TIMEOUT_MS;
    const checkId = `chk-${randomUUID()}`;
    const timer = this.timers.setTimeout(() => void this.onMissed(checkId), answerMs);
    this.due = { checkId, dueAt, answerBy: dueAt + answerMs, timer };
    this.logger.info({ shiftId: this.shift.shiftId }, 'random face check due');
    this.emit();
  }

  /** No frames came in time: the check counts as failed (a seat that cannot show its face is not confirmed). */
  private async onMissed(checkId: string): Promise<void> {
    const shift = this.shift;
    if (!shift || this.due?.checkId !== checkId) return;
    this.due = null;
    let threshold: number | null = null;
    let modelSha256: string | null = null;
    try {
      const calibration = this.options.engine?.getCalibration();
      threshold = calibration?.matchThreshold ?? null;
      modelSha256 = calibration?.modelSha256 ?? null;
    } catch {
      // no calibration: recorded without a threshold
    }
    await this.conclude(shift, 'random', { result: 'missed', score: null, band: null, threshold, modelSha256, facesPerFrame: [] });
  }

  /** Records a check of the running shift and acts on it: a failure takes the seat off 示闲. */
  private async conclude(shift: Shift, kind: ShiftCheckKind, outcome: PresenceOutcome): Promise<void> {
    this.record(shift.shiftId, kind, outcome);
    const passed = outcome.result === 'pass';
    this.presenceOk = passed;
    const policy = this.options.settings().shiftFaceCheck;
    if (kind === 'random' && policy.enabled) this.scheduler.scheduleNext(policy.minIntervalMin, policy.maxIntervalMin);
    if (!passed) {
      this.logger.warn({ shiftId: shift.shiftId, kind, result: outcome.result, score: outcome.score }, 'shift face check failed');
      this.options.notice({ level: 'warning', code: 'FORBIDDEN', key: 'shiftPresenceFailed', detail: outcome.result });
      const seat = this.options.queue();
      if (seat && seat.current().state !== 'offline') {
        await seat.setState('away', PRESENCE_FAILED_REASON).catch((error: unknown) =>
          this.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'setting the seat away after a failed face check failed'),
        );
      }
    }
    this.emit();
  }

  private record(shiftId: string, kind: ShiftCheckKind, outcome: Omit<ShiftCheck, 'checkId' | 'kind' | 'at'>): void {
    const check: ShiftCheck = { checkId: `chk-${randomUUID()}`, kind, at: this.now(), ...outcome };
    this.options.log.append(shiftId, 'shift.face_check', { ...check });
    this.lastCheck = check;
  }

  private requireEngine(): PresenceEngine {
    if (!this.options.engine) throw new AppFailure('UNAVAILABLE', SHIFT_MESSAGES.engineDown);
    return this.options.engine;
  }

  /** The enrolment for the agent made with the engine's current feature model. */
  private enrolmentFor(agentId: string, engine: PresenceEngine): { embedding: Float32Array } {
    const enrolment = this.options.enrolments.load(agentId);
    if (!enrolment || enrolment.modelSha256 !== engine.getCalibration().modelSha256) throw new AppFailure('FORBIDDEN', SHIFT_MESSAGES.notEnrolled(agentId));
    return enrolment;
  }

  private enrolmentInfo(agentId: string): ShiftEnrolment | null {
    const info = this.options.enrolments.info(agentId);
    if (!info) return null;
    try {
      const model = this.options.engine?.getCalibration().modelSha256;
      if (model && model !== info.modelSha256) return null;
    } catch {
      // no calibration to compare with: the enrolment is shown as it is
    }
    return info;
  }

  /** One check at a time: a second one while the engine works on the first is refused. */
  private async exclusive<T>(run: () => Promise<T>): Promise<T> {
    if (this.checking) throw new AppFailure('FORBIDDEN', SHIFT_MESSAGES.checkRunning);
    this.checking = true;
    try {
      return await run();
    } finally {
      this.checking = false;
    }
  }

  private clearDue(): void {
    if (this.due) this.timers.clearTimeout(this.due.timer);
    this.due = null;
  }

  private stopChecks(): void {
    this.scheduler.stop();
    this.clearDue();
  }

  private emit(): void {
    this.options.emit(this.status());
  }
}
