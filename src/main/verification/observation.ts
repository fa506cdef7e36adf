/**
 * What the verification rules read from one engine result (FrameAnalysis), and a short history of them.
 * Only fields that are fresh on this frame are taken as this frame's values (docs/engine.md, `ages`):
 * eyes, mouth, landmark pose and quality every frame with a face; liveness only where `ages.liveness` is 0;
 * the face count only on detection frames.
 */
import type { Face, FrameAnalysis, QualityIssue } from '../../shared/engine';

/** Per-face attributes the engine is gaining (fr_age, fr_gender); read when present. */
interface FaceAttributes {
  age?: number;
  gender?: { male: number };
}

export interface Observation {
  streamId: string;
  capturedAt: number;
  face: boolean;
  /** Faces in the image (fresh when `detectionFresh`, carried otherwise). */
  faceCount: number;
  detectionFresh: boolean;
  yaw: number | null;
  pitch: number | null;
  eyesOpen: boolean | null;
  mouthOpening: number | null;
  /** p(live) computed on this very frame, else null. */
  liveness: number | null;
  qualityIssues: readonly QualityIssue[];
  qualityOk: boolean;
  landmarks: ReadonlyArray<readonly [number, number]> | null;
  age: number | null;
  male: number | null;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export function observe(a: FrameAnalysis): Observation {
  const p: (Face & FaceAttributes) | null = a.primary;
  return {
    streamId: a.streamId,
    capturedAt: a.capturedAt,
    face: p !== null,
    faceCount: a.faceCount,
    detectionFresh: a.ages.detection === 0,
    yaw: p?.pose ? p.pose.yaw : null,
    pitch: p?.pose ? p.pose.pitch : null,
    eyesOpen: p?.eyes ? p.eyes.open : null,
    mouthOpening: num(p?.mouthOpening),
    liveness: a.ages.liveness === 0 ? num(p?.liveness) : null,
    qualityIssues: p?.quality?.issues ?? [],
    qualityOk: p?.quality?.ok ?? false,
    landmarks: p?.landmarks ?? null,
    age: num(p?.age),
    male: num(p?.gender?.male),
  };
}

/** The last `spanMs` of observations, oldest first. */
export class History {
  private items: Observation[] = [];

  constructor(private readonly spanMs: number) {}

  push(o: Observation): void {
    this.items.push(o);
    const cut = o.capturedAt - this.spanMs;
    let drop = 0;
    while (drop < this.items.length - 1 && this.items[drop]!.capturedAt < cut) drop++;
    if (drop > 0) this.items = this.items.slice(drop);
  }

  /** The observation captured at `t` (within 0.5 ms), if still kept. */
  at(t: number): Observation | undefined {
    for (let i = this.items.length - 1; i >= 0; i--) {
      const o = this.items[i]!;
      if (Math.abs(o.capturedAt - t) <= 0.5) return o;
      if (o.capturedAt < t - 0.5) return undefined;
    }
    return undefined;
  }

  /** Observations with from ≤ capturedAt ≤ to. */
  between(from: number, to: number): Observation[] {
    return this.items.filter((o) => o.capturedAt >= from && o.capturedAt <= to);
  }

  last(): Observation | undefined {
    return this.items[this.items.length - 1];
  }
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Mean displacement (px) of the 68 landmarks between two frames; null when either has none. */
export function landmarkMotion(a: Observation, b: Observation): number | null {
  if (!a.landmarks || !b.landmarks || a.landmarks.length !== b.landmarks.length || a.landmarks.length === 0) return null;
  let sum = 0;
  for (let i = 0; i < a.landmarks.length; i++) sum += Math.hypot(a.landmarks[i]![0] - b.landmarks[i]![0], a.landmarks[i]![1] - b.landmarks[i]![1]);
  return sum / a.landmarks.length;
}
