/**
 * presence: exactly one face. The face count is fresh on detection frames (carried between them), so runs are
 * measured on the frames' capture times: a second face for ≥ secondFaceMinMs without a break → warn
 * 'second_face' (possible 他人代操作 or coaching; the agent looks — never a fail). A second face that passes by
 * for less is counted in details. Pending until presenceMinDetections detection frames saw one face.
 */
import type { Check, EvidenceRef } from '../../shared/verification';
import type { VerificationConfig } from './config';
import type { Observation } from './observation';

export class Presence {
  private singleDetections = 0;
  private run: { from: Observation; to: Observation } | null = null;
  private sustained: { from: Observation; ms: number } | null = null;
  private transient = 0;
  private maxFaces = 0;
  private lastAt: number | null = null;

  constructor(private readonly cfg: VerificationConfig) {}

  add(o: Observation): void {
    const gap = this.lastAt === null ? 0 : o.capturedAt - this.lastAt;
    this.lastAt = o.capturedAt;
    this.maxFaces = Math.max(this.maxFaces, o.faceCount);
    if (o.detectionFresh && o.faceCount === 1) this.singleDetections++;
    if (o.faceCount > 1 && (!this.run || gap <= this.cfg.maxFrameGapMs)) {
      this.run = this.run ? { from: this.run.from, to: o } : { from: o, to: o };
      const ms = o.capturedAt - this.run.from.capturedAt;
      if (ms >= this.cfg.secondFaceMinMs && (!this.sustained || this.sustained.from === this.run.from || ms > this.sustained.ms)) this.sustained = { from: this.run.from, ms };
      return;
    }
    if (this.run && this.run.to.capturedAt - this.run.from.capturedAt < this.cfg.secondFaceMinMs) this.transient++;
    this.run = o.faceCount > 1 ? { from: o, to: o } : null;
  }

  check(): Check {
    const details = { maxFaces: this.maxFaces, transientSecondFaces: this.transient, singleFaceDetections: this.singleDetections };
    if (this.sustained) {
      const evidence: EvidenceRef[] = [{ streamId: this.sustained.from.streamId, capturedAt: this.sustained.from.capturedAt, kind: 'second_face' }];
      return { id: 'presence', status: 'warn', reason: 'second_face', evidence, details: { ...details, secondFaceMs: this.sustained.ms } };
    }
    if (this.singleDetections < this.cfg.presenceMinDetections) return { id: 'presence', status: 'pending', reason: 'no_face', details };
    return { id: 'presence', status: 'pass', reason: 'single_face', details };
  }
}
