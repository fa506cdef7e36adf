/**
 * passive_liveness: the fr_liveness model's p(live), taken only from frames where it was computed (ages.liveness
 * is 0), aggregated over the session. pass: median ≥ livenessLive and ≥ livenessPassShare of the frames live;
 * fail: median below and fewer than livenessFailShare live (consistently spoof-like); warn otherwise.
 * Pending until minLivenessFrames values.
 *
 * Known limit (docs/engine.md): the model scores a video of a still photo as live; the active challenge and the
 * frozen-video signal (face_swap) are what catch that.
 */
import type { Check, EvidenceRef } from '../../shared/verification';
import type { VerificationConfig } from './config';
import { median, type Observation } from './observation';

interface Sample {
  streamId: string;
  capturedAt: number;
  live: number;
}

export class PassiveLiveness {
  private samples: Sample[] = [];

  constructor(private readonly cfg: VerificationConfig) {}

  add(o: Observation): void {
    if (o.liveness === null) return;
    this.samples.push({ streamId: o.streamId, capturedAt: o.capturedAt, live: o.liveness });
    if (this.samples.length > this.cfg.maxKeyFrames) this.samples.shift();
  }

  check(): Check {
    const n = this.samples.length;
    if (n < this.cfg.minLivenessFrames) return { id: 'passive_liveness', status: 'pending', reason: 'no_liveness_frames', details: { frames: n, needed: this.cfg.minLivenessFrames } };
    const score = median(this.samples.map((s) => s.live))!;
    const share = this.samples.filter((s) => s.live >= this.cfg.livenessLive).length / n;
    const pass = score >= this.cfg.livenessLive && share >= this.cfg.livenessPassShare;
    const fail = score < this.cfg.livenessLive && share < this.cfg.livenessFailShare;
    return {
      id: 'passive_liveness',
      status: pass ? 'pass' : fail ? 'fail' : 'warn',
      reason: pass ? 'live' : fail ? 'spoof_suspected' : 'liveness_unstable',
      score,
      evidence: this.evidence(),
      details: { frames: n, liveShare: share, min: Math.min(...this.samples.map((s) => s.live)), threshold: this.cfg.livenessLive },
    };
  }

  /** The least live frame and the median frame. */
  private evidence(): EvidenceRef[] {
    const sorted = [...this.samples].sort((a, b) => a.live - b.live || a.capturedAt - b.capturedAt);
    const picks = new Set([sorted[0]!, sorted[(sorted.length - 1) >> 1]!]);
    return [...picks].sort((a, b) => a.capturedAt - b.capturedAt).map((s) => ({ streamId: s.streamId, capturedAt: s.capturedAt, kind: 'liveness_frame' as const }));
  }
}
