/**
 * DeskService: the verification desk of the active call, in main (issue 9). It owns the call's
 * VerificationSession (src/main/verification/), feeds it the engine's results for the customer's stream and the
 * customer page's device report, carries out the agent's actions (ID photo, ID information, challenge, spoken
 * code, checklist, decision, escalation), writes every state change, check result and decision to the case log
 * (evidence frames encrypted), and pushes DeskState to the renderer.
 *
 * The renderer only shows DeskState and sends actions: every rule (a reason code to go against the advice, the
 * closing checklist, a valid check digit) is enforced here.
 */
import sharp from 'sharp';
import type { ServiceType } from '../../shared/cases';
import type { DeskEvidenceImage, DeskState, Decision, OverrideReason } from '../../shared/desk';
import { MAX_ID_PHOTO_BYTES } from '../../shared/desk';
import type { Box, FrameAnalysis, ImageAnalysis, QualityIssue } from '../../shared/engine';
import { iou } from '../engine/geometry';
import { sniffImageType } from '../engine/image-type';
import { AppFailure } from '../../shared/errors';
import type { Frame } from '../../shared/frame';
import { maskIdNumber, parseIdNumber } from '../../shared/id-number';
import type { Script } from '../../shared/scripts';
import { qaSummary, type Advice, type EvidenceRef, type ScriptStepVia, type VerificationEvent } from '../../shared/verification';
import type { CaseStore } from '../caselog/store';
import type { EngineService } from '../engine/service';
import type { Logger } from '../log/logger';
import { checklistComplete, suggestStep } from '../scripts/triggers';
import type { RandomSource } from '../verification/challenge';
import type { VerificationConfig } from '../verification/config';
import { VerificationSession } from '../verification/session';
import { EvidenceFrames } from './evidence-frames';
import { scriptEvents } from './script-events';
import { ScriptStepRate, scriptStepEvent } from './script-steps';

export interface ActiveCall {
  callId: string;
  caseId: string;
  streamId: string;
  serviceType: ServiceType;
  closed: boolean;
}

export interface DeskServiceOptions {
  engine: Pick<EngineService, 'analyzeImage' | 'getCalibration'> | null;
  store: Pick<CaseStore, 'append' | 'addEvidence' | 'readEvidence' | 'recordIdNumber' | 'closeCase'>;
  activeCall: () => ActiveCall | null;
  /** The customer page's last device report for the active call. */
  device: () => { videoLabel: string; virtualCamera: string | null; platform?: 'phone' | 'pc' } | null;
  scripts: () => Script[];
  /** The backend's reference photo for a customer reference (src/main/backend/reference-photo.ts). */
  referencePhoto?: (customerRef: string) => Promise<Uint8Array>;
  agentId: () => string;
  emit: (state: DeskState) => void;
  log: Logger;
  /** How often DeskState is pushed at most while frames arrive (ms, default 250). */
  pushIntervalMs?: number;
  /** Verification rules' operating parameters (e.g. the challenge's actions). */
  verificationConfig?: Partial<VerificationConfig>;
  /** The challenge's and spoken code's random source: the OS CSPRNG unless a test host injects a seed. */
  random?: RandomSource;
  now?: () => number;
}

interface Desk {
  call: ActiveCall;
  session: VerificationSession;
  idPhoto: DeskState['idPhoto'];
  idInfo: DeskState['idInfo'];
  decision: DeskState['decision'];
  escalated: boolean;
  ticked: Set<string>;
  closed: boolean;
  lastDevice: string | null;
  lastQualityEventAt: number;
  /** The stored ID photo (encrypted evidence) and its type. */
  idPhotoEvidence: { id: string; mime: 'image/jpeg' | 'image/png' | 'image/webp' } | null;
  /** The live face's box in the latest result (so an ID card's portrait is told apart from the customer). */
  liveBox: Box | null;
  /** Stored evidence frames of this case: `${streamId}@${capturedAt}` → evidence id. */
  evidence: Map<string, string>;
}

const QUALITY_EVENT_SPACING_MS = 2000;

/** Masks a name for the case log: the first character, then one * per remaining character (at most 3). */
export function maskName(name: string): string {
  const chars = [...name.trim()];
  if (chars.length <= 1) return '*';
  return chars[0] + '*'.repeat(Math.min(3, chars.length - 1));
}

/**
 * Whether a decision goes against the advice: passing a case the engine advised to fail or to review (the machine
 * did not vouch for it), or failing one it advised to pass. Such a decision needs a reason code.
 */
export function againstAdvice(decision: Decision, advice: Advice): boolean {
  return decision === 'pass' ? advice !== 'pass' : advice === 'pass';
}

export class DeskService {
  private desk: Desk | null = null;
  private readonly frames = new EvidenceFrames();
  private pushTimer: NodeJS.Timeout | null = null;
  private tickTimer: NodeJS.Timeout | null = null;
  private readonly scriptStepRate = new ScriptStepRate();
  private readonly log: Logger;
  private readonly now: () => number;

  constructor(private readonly options: DeskServiceOptions) {
    this.log = options.log.child({ component: 'desk' });
    this.now = options.now ?? Date.now;
  }

  /** The desk of the active call (created on first use), or null without a call. */
  current(): DeskState | null {
    const desk = this.ensure();
    return desk ? this.state(desk) : null;
  }

  /** Every frame main receives: the customer's are kept briefly as possible evidence. */
  onFrame(frame: Frame): void {
    const call = this.options.activeCall();
    if (call && !call.closed && frame.streamId === call.streamId) this.frames.add(frame);
  }

  /** Every engine result: the active call's customer stream feeds its session. */
  onAnalysis(analysis: FrameAnalysis): void {
    const desk = this.ensure();
    if (!desk || desk.closed || analysis.streamId !== desk.call.streamId) return;
    this.syncDevice(desk);
    if (analysis.primary) desk.liveBox = analysis.primary.box;
    desk.session.onFrame(analysis);
    this.schedulePush();
  }

  async setIdPhoto(callId: string, base64: string, source: 'file' | 'camera' | 'backend'): Promise<DeskState> {
    const desk = this.require(callId);
    const engine = this.options.engine;
    if (!engine) throw new AppFailure('UNAVAILABLE', 'the face engine is not running');
    const bytes = Buffer.from(base64, 'base64');
    if (bytes.length === 0) throw new AppFailure('CORRUPT_INPUT', 'the ID photo is empty');
    if (bytes.length > MAX_ID_PHOTO_BYTES) throw new AppFailure('CORRUPT_INPUT', `the ID photo is too large (${(bytes.length / 1e6).toFixed(1)} MB, at most 10 MB)`);
    // checked by content (first bytes) in the engine before libvips sees it; nothing is stored if it fails
    const analysis: ImageAnalysis = await engine.analyzeImage(bytes);
    return this.useIdPhoto(desk, bytes, analysis, source, []);
  }

  /**
   * The ID card the customer holds up to the camera (video-ident practice): the portrait on it is found in the
   * customer's current frame — a face that is not the live face — cropped with a margin, and used as the ID photo.
   * Glare, blur and a too-small portrait come back as warnings for the agent to ask for a better angle.
   */
  async captureIdFromCamera(callId: string): Promise<DeskState> {
    const desk = this.require(callId);
    const engine = this.options.engine;
    if (!engine) throw new AppFailure('UNAVAILABLE', 'the face engine is not running');
    const frame = this.frames.latest(desk.call.streamId);
    if (!frame) throw new AppFailure('NOT_FOUND', "no frame of the customer's video yet");
    const raw = { raw: { width: frame.width, height: frame.height, channels: 4 as const } };
    // our own pixels, encoded (never decoded from outside) by libvips
    const whole = await sharp(Buffer.from(frame.rgba), raw).jpeg({ quality: 92 }).toBuffer();
    const scene = await engine.analyzeImage(whole);
    const live = desk.liveBox;
    const portraits = scene.faces.filter((f) => !live || iou(f.box, live) < 0.3).sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height);
    const portrait = portraits[0];
    if (!portrait) throw new AppFailure('NOT_FOUND', 'no ID portrait found in the picture besides the customer: ask them to hold the card closer, still and flat');
    const margin = 0.6;
    const left = Math.max(0, Math.floor(portrait.box.x - portrait.box.width * margin));
    const top = Math.max(0, Math.floor(portrait.box.y - portrait.box.height * margin));
    const width = Math.min(frame.width - left, Math.ceil(portrait.box.width * (1 + 2 * margin)));
    const height = Math.min(frame.height - top, Math.ceil(portrait.box.height * (1 + 2 * margin)));
    const crop = await sharp(Buffer.from(frame.rgba), raw).extract({ left, top, width, height }).jpeg({ quality: 95 }).toBuffer();
    const analysis = await engine.analyzeImage(crop);
    const warnings = (portrait.quality?.issues ?? []).filter((i) => ['too_small', 'blurred', 'too_bright', 'too_dark', 'low_contrast', 'partly_outside', 'turned'].includes(i));
    return this.useIdPhoto(desk, crop, analysis, 'camera', warnings);
  }

  /** The photo a self-service channel stored for this customer (fetched with the workstation token). */
  async fetchReferencePhoto(callId: string, customerRef: string): Promise<DeskState> {
    const desk = this.require(callId);
    const engine = this.options.engine;
    if (!engine) throw new AppFailure('UNAVAILABLE', 'the face engine is not running');
    if (!this.options.referencePhoto) throw new AppFailure('UNAVAILABLE', 'reference photos need the backend');
    const bytes = Buffer.from(await this.options.referencePhoto(customerRef));
    const analysis = await engine.analyzeImage(bytes);
    return this.useIdPhoto(desk, bytes, analysis, 'backend', []);
  }

  /**
   * The reference photo a queue hand-over brought with the accepted offer (src/main/queue/): the same path as
   * fetchReferencePhoto, so face match runs against it. The bytes come from the backend: checked by content here
   * (JPEG/PNG/WebP, at most MAX_ID_PHOTO_BYTES) before the engine sees them; nothing is stored when they fail.
   */
  async useReferencePhoto(callId: string, photo: Uint8Array): Promise<DeskState> {
    const desk = this.require(callId);
    const engine = this.options.engine;
    if (!engine) throw new AppFailure('UNAVAILABLE', 'the face engine is not running');
    const bytes = Buffer.from(photo);
    if (bytes.length === 0 || bytes.length > MAX_ID_PHOTO_BYTES || sniffImageType(bytes) === null) throw new AppFailure('CORRUPT_INPUT', 'the reference photo is not a JPEG, PNG or WebP image of at most 10 MB');
    const analysis = await engine.analyzeImage(bytes);
    return this.useIdPhoto(desk, bytes, analysis, 'backend', []);
  }

  private useIdPhoto(desk: Desk, bytes: Buffer, analysis: ImageAnalysis, source: 'file' | 'camera' | 'backend', warnings: QualityIssue[]): DeskState {
    const face = analysis.best >= 0 ? analysis.faces[analysis.best]! : null;
    const actor = this.options.agentId();
    const evidence = this.options.store.addEvidence(desk.call.caseId, { kind: 'id_photo', data: bytes, actor });
    desk.idPhotoEvidence = { id: evidence.evidenceId, mime: mimeOf(bytes) };
    this.options.store.append({
      caseId: desk.call.caseId,
      type: 'verification.event',
      actor,
      payload: { type: 'id_photo.set', source, evidenceId: evidence.evidenceId, faces: analysis.faces.length, detection: analysis.detection, faceFound: face !== null, warnings },
    });
    desk.idPhoto = {
      width: analysis.width,
      height: analysis.height,
      face: face?.box ?? null,
      faces: analysis.faces.length,
      detection: analysis.detection,
      source,
      ...(typeof face?.age === 'number' ? { age: face.age } : {}),
      warnings,
    };
    desk.session.setIdPhoto(analysis);
    return this.pushNow(desk);
  }

  setIdInfo(callId: string, name: string, idNumber: string): DeskState {
    const desk = this.require(callId);
    const parsed = parseIdNumber(idNumber);
    if (!parsed.valid) {
      const why = parsed.reason === 'check_digit' ? 'its check digit is wrong' : parsed.reason === 'birth_date' ? 'its birth date is not a real date' : 'it is not an 18-character ID number';
      throw new AppFailure('INVALID_INPUT', `the ID number was refused: ${why}; nothing was stored`);
    }
    const nameMasked = maskName(name);
    this.options.store.recordIdNumber(desk.call.caseId, {
      idNumber: parsed.normalised,
      actor: this.options.agentId(),
      payload: { nameMasked, ...(parsed.birthDate ? { birthDate: parsed.birthDate } : {}), ...(parsed.gender ? { gender: parsed.gender } : {}) },
    });
    desk.idInfo = { nameMasked, idNumberMasked: maskIdNumber(parsed.normalised), ...(parsed.birthDate ? { birthDate: parsed.birthDate } : {}), ...(parsed.gender ? { gender: parsed.gender } : {}) };
    desk.session.setIdNumber(parsed.normalised);
    return this.pushNow(desk);
  }

  startChallenge(callId: string): DeskState {
    const desk = this.require(callId);
    desk.session.startChallenge();
    this.startTicking();
    return this.pushNow(desk);
  }

  /** The hand over the face on request: the face must be lost or occluded, then come back (face_swap sub-signal). */
  startOcclusionTest(callId: string): DeskState {
    const desk = this.require(callId);
    desk.session.startOcclusionTest();
    this.startTicking();
    return this.pushNow(desk);
  }

  issueSpokenCode(callId: string): DeskState {
    const desk = this.require(callId);
    desk.session.issueSpokenCode();
    return this.pushNow(desk);
  }

  confirmSpokenCode(callId: string, ok: boolean): DeskState {
    const desk = this.require(callId);
    desk.session.confirmSpokenCode(ok);
    return this.pushNow(desk);
  }

  /**
   * The agent moved to another 话术 step (src/main/desk/script-steps.ts): a `script.step` event of the case while its
   * call is live. The renderer keeps the position; nothing in DeskState changes.
   */
  scriptStep(callId: string, stepId: string, via: ScriptStepVia): null {
    const desk = this.require(callId);
    if (desk.call.closed) throw new AppFailure('FORBIDDEN', 'the call has ended');
    const at = this.now();
    const event = scriptStepEvent(this.script(desk), desk.call.serviceType, stepId, via, at);
    this.scriptStepRate.check(desk.call.caseId, at);
    this.options.store.append({ caseId: desk.call.caseId, type: 'verification.event', actor: this.options.agentId(), at, payload: event });
    this.scriptStepRate.note(at);
    return null;
  }

  checklist(callId: string, item: string, ticked: boolean): DeskState {
    const desk = this.require(callId);
    const script = this.script(desk);
    if (!script?.checklist?.some((i) => i.id === item)) throw new AppFailure('NOT_FOUND', `checklist item ${item} is not in the ${desk.call.serviceType} script`);
    if (ticked) desk.ticked.add(item);
    else desk.ticked.delete(item);
    return this.pushNow(desk);
  }

  decide(callId: string, decision: Decision, reasonCode: OverrideReason | undefined, note: string | undefined): DeskState {
    const desk = this.require(callId);
    if (desk.decision) throw new AppFailure('FORBIDDEN', 'this case already has a decision');
    const report = desk.session.report();
    const against = againstAdvice(decision, report.advice);
    if (against && !reasonCode) throw new AppFailure('FORBIDDEN', `the decision goes against the engine's advice (${report.advice}): choose a reason code`);
    const script = this.script(desk);
    if (decision === 'pass' && script?.checklist) {
      const { complete, missing } = checklistComplete(script, desk.ticked);
      if (!complete) throw new AppFailure('FORBIDDEN', `the closing checklist is not complete: ${missing.join(', ')}`);
    }
    const actor = this.options.agentId();
    const at = this.now();
    const summary = qaSummary(report);
    this.options.store.append({
      caseId: desk.call.caseId,
      type: 'decision.made',
      actor,
      at,
      payload: { decision, advice: report.advice, against, reasonCode: reasonCode ?? null, ...(note ? { note } : {}), checklist: [...desk.ticked].sort() },
    });
    this.options.store.closeCase(desk.call.caseId, {
      verdict: decision === 'pass' ? 'verified' : 'rejected',
      actor,
      reasonCode,
      // the model files and face-match thresholds it decided with: a re-analysis later shows what changed since
      summary: {
        advice: summary.advice,
        decision,
        against,
        checks: summary.checks.map((c) => ({ id: c.id, status: c.status, reason: c.reason, ...(c.band ? { band: c.band } : {}) })),
        modelVersions: report.modelVersions,
        thresholds: { match: report.thresholds.faceMatch.match, mismatch: report.thresholds.faceMatch.mismatch },
      },
    });
    desk.decision = { decision, reasonCode: reasonCode ?? null, against, at };
    desk.closed = true;
    this.stopTicking();
    return this.pushNow(desk);
  }

  escalate(callId: string, note: string | undefined): DeskState {
    const desk = this.require(callId);
    const report = desk.session.report();
    if (report.advice === 'pass' && desk.decision?.decision !== 'fail') throw new AppFailure('FORBIDDEN', 'only a fail or needs-review case can be escalated');
    if (desk.escalated) return this.state(desk);
    this.options.store.append({ caseId: desk.call.caseId, type: 'case.escalated', actor: this.options.agentId(), payload: { advice: report.advice, ...(note ? { note } : {}) } });
    desk.escalated = true;
    return this.pushNow(desk);
  }

  /** An evidence frame for the screen: decrypted in memory, never written to disk in clear. */
  evidence(callId: string, streamId: string, capturedAt: number): DeskEvidenceImage {
    const desk = this.ensure();
    if (!desk || desk.call.callId !== callId) throw new AppFailure('NOT_FOUND', 'no such active call');
    const id = desk.evidence.get(`${streamId}@${capturedAt}`);
    const data = id ? this.options.store.readEvidence(id) : null;
    if (!data) throw new AppFailure('NOT_FOUND', 'this frame was not kept as evidence (only frames still in memory when the check changed are stored)');
    return { mime: 'image/jpeg', data: data.toString('base64') };
  }

  idPhotoImage(callId: string): DeskEvidenceImage {
    const desk = this.ensure();
    if (!desk || desk.call.callId !== callId) throw new AppFailure('NOT_FOUND', 'no such active call');
    const data = desk.idPhotoEvidence ? this.options.store.readEvidence(desk.idPhotoEvidence.id) : null;
    if (!data || !desk.idPhotoEvidence) throw new AppFailure('NOT_FOUND', 'no ID photo for this call');
    return { mime: desk.idPhotoEvidence.mime, data: data.toString('base64') };
  }

  close(): void {
    this.stopTicking();
    if (this.pushTimer) clearTimeout(this.pushTimer);
    this.pushTimer = null;
    this.desk = null;
    this.frames.clear();
  }

  // ---- internals ------------------------------------------------------------------------------------------

  /** The desk for the active call: a new one when the call changed. */
  private ensure(): Desk | null {
    const call = this.options.activeCall();
    if (!call) return this.desk;
    if (this.desk?.call.callId === call.callId) {
      this.desk.call = call;
      return this.desk;
    }
    const engine = this.options.engine;
    if (!engine) return null;
    const session = new VerificationSession({
      serviceType: call.serviceType,
      calibration: engine.getCalibration(),
      streamId: call.streamId,
      logger: this.log,
      config: this.options.verificationConfig,
      random: this.options.random,
    });
    const desk: Desk = { call, session, idPhoto: null, idInfo: null, decision: null, escalated: false, ticked: new Set(), closed: false, lastDevice: null, lastQualityEventAt: -Infinity, evidence: new Map(), liveBox: null, idPhotoEvidence: null };
    session.onEvent((event) => this.persist(desk, event));
    this.desk = desk;
    this.frames.clear();
    this.stopTicking();
    return desk;
  }

  private require(callId: string): Desk {
    const desk = this.ensure();
    if (!desk || desk.call.callId !== callId) throw new AppFailure('NOT_FOUND', 'no such active call');
    if (desk.closed) throw new AppFailure('FORBIDDEN', 'this case is closed');
    return desk;
  }

  private script(desk: Desk): Script | undefined {
    return this.options.scripts().find((s) => s.serviceType === desk.call.serviceType);
  }

  private syncDevice(desk: Desk): void {
    const device = this.options.device();
    if (!device) return;
    const key = `${device.videoLabel}\u0000${device.virtualCamera ?? ''}\u0000${device.platform ?? ''}`;
    if (key === desk.lastDevice) return;
    desk.lastDevice = key;
    desk.session.setDevice({ videoLabel: device.videoLabel, virtualCamera: device.virtualCamera, platform: device.platform });
  }

  /** A verification event becomes a case event; the frames it cites are stored (encrypted) while still at hand. */
  private persist(desk: Desk, event: VerificationEvent): void {
    const actor = 'system';
    // picture quality flips with every blink and head turn: at most one quality event per 2 s (the report at
    // the decision has the final state); every other change is written as it happens
    if (event.type === 'check.changed' && event.check.id === 'quality') {
      if (event.at - desk.lastQualityEventAt < QUALITY_EVENT_SPACING_MS) return;
      desk.lastQualityEventAt = event.at;
    }
    try {
      const evidenceIds = this.storeEvidence(desk, citedEvidence(event));
      const type = event.type === 'check.changed' ? 'check.result' : 'verification.event';
      this.options.store.append({ caseId: desk.call.caseId, type, actor, payload: { ...event, ...(evidenceIds.length ? { evidenceIds } : {}) } as Record<string, unknown> });
    } catch (error) {
      // the case log refusing an event (closed case, full disk) must not stop the session; the log says why
      this.log.error({ err: error instanceof Error ? error.message : String(error), type: event.type }, 'verification event not stored');
    }
  }

  private storeEvidence(desk: Desk, refs: EvidenceRef[]): string[] {
    const ids: string[] = [];
    for (const ref of refs.slice(0, 4)) {
      const frame = this.frames.find(ref.streamId, ref.capturedAt);
      if (!frame || !this.frames.firstStore(ref.streamId, ref.capturedAt)) continue;
      const rgba = Buffer.from(frame.rgba);
      // our own pixels, encoded (never decoded) by libvips: no hostile input reaches it here
      void sharp(rgba, { raw: { width: frame.width, height: frame.height, channels: 4 } })
        .jpeg({ quality: 85 })
        .toBuffer()
        .then((jpeg) => {
          const stored = this.options.store.addEvidence(desk.call.caseId, { kind: 'frame', data: jpeg, actor: 'system' });
          desk.evidence.set(`${ref.streamId}@${ref.capturedAt}`, stored.evidenceId);
        })
        .catch((error: unknown) => this.log.warn({ err: error instanceof Error ? error.message : String(error) }, 'evidence frame not stored'));
      ids.push(`${ref.streamId}@${ref.capturedAt}`);
    }
    return ids;
  }

  private state(desk: Desk): DeskState {
    const report = desk.session.report();
    const script = this.script(desk);
    const code = report.spokenCode.status === 'pending' && report.spokenCode.reason === 'awaiting_confirmation' ? (report.spokenCode.code ?? null) : null;
    return {
      callId: desk.call.callId,
      caseId: desk.call.caseId,
      serviceType: desk.call.serviceType,
      report,
      idPhoto: desk.idPhoto,
      idInfo: desk.idInfo,
      spokenCode: code,
      decision: desk.decision,
      escalated: desk.escalated,
      suggestedStep: script ? suggestStep(script, scriptEvents(report)) : null,
      checklist: { ticked: [...desk.ticked].sort(), missing: script?.checklist ? checklistComplete(script, desk.ticked).missing : [] },
      closed: desk.closed,
    };
  }

  private pushNow(desk: Desk): DeskState {
    const state = this.state(desk);
    this.options.emit(state);
    return state;
  }

  private schedulePush(): void {
    if (this.pushTimer) return;
    this.pushTimer = setTimeout(() => {
      this.pushTimer = null;
      const desk = this.desk;
      if (desk) this.pushNow(desk);
    }, this.options.pushIntervalMs ?? 250);
    this.pushTimer.unref();
  }

  /** While a challenge runs, time passes even without frames (a frozen camera still times a step out). */
  private startTicking(): void {
    if (this.tickTimer) return;
    this.tickTimer = setInterval(() => {
      const desk = this.desk;
      if (!desk || desk.closed) return this.stopTicking();
      desk.session.tick();
      this.schedulePush();
    }, 250);
    this.tickTimer.unref();
  }

  private stopTicking(): void {
    if (this.tickTimer) clearInterval(this.tickTimer);
    this.tickTimer = null;
  }
}

function mimeOf(bytes: Buffer): 'image/jpeg' | 'image/png' | 'image/webp' {
  const type = sniffImageType(bytes);
  return type === 'png' ? 'image/png' : type === 'webp' ? 'image/webp' : 'image/jpeg';
}

function citedEvidence(event: VerificationEvent): EvidenceRef[] {
  if (event.type === 'check.changed') return event.check.evidence ?? [];
  if (event.type === 'challenge.step_passed' || event.type === 'challenge.step_failed') return event.evidence;
  return [];
}
