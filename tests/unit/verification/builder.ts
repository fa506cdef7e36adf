/**
 * Synthetic engine results for the verification tests: FrameAnalysis with exactly the fields the rules read,
 * deterministic pseudo-random identities (512-d unit vectors), a calibration fixture and a seeded random source
 * (a fixed seed is for tests only; the app uses random.ts).
 */
import type { FrameAnalysis, ImageAnalysis, QualityIssue } from '../../../src/shared/engine';
import type { Calibration } from '../../../src/main/engine/calibration';
import { seededRandom } from '../../../src/common/seeded-random';

export interface FrameSpec {
  t: number;
  streamId?: string;
  /** false: no face on this frame. */
  face?: boolean;
  eyesOpen?: boolean;
  yaw?: number;
  pitch?: number;
  mouth?: number;
  /** p(live) computed on this frame (ages.liveness 0); undefined = carried (not fresh). */
  live?: number;
  faceCount?: number;
  /** A full detection ran on this frame (default: every 5th frame by t / 33.3, like the engine). */
  detection?: boolean;
  embedding?: number[];
  /** ms between the key frame and this result (ages.embedding; 0 = the key frame itself). */
  embeddingAge?: number;
  issues?: QualityIssue[];
  /** false: the landmarks are exactly those of the previous frame (a still image). */
  moving?: boolean;
  age?: number;
  male?: number;
}

/** 68 landmarks around a face centre; `moving` adds a sub-pixel per-frame jitter like a real camera. */
function landmarks(t: number, moving: boolean): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i < 68; i++) {
    const a = (i / 68) * 2 * Math.PI;
    const j = moving ? 0.4 * Math.sin(t * 0.37 + i) : 0;
    out.push([320 + 80 * Math.cos(a) + j, 240 + 100 * Math.sin(a) + j]);
  }
  return out;
}

export function frame(s: FrameSpec): FrameAnalysis {
  const hasFace = s.face !== false;
  const detection = s.detection ?? Math.round(s.t / (1000 / 30)) % 5 === 0;
  const issues = s.issues ?? [];
  return {
    streamId: s.streamId ?? 'call-test',
    capturedAt: s.t,
    width: 640,
    height: 480,
    faceCount: hasFace ? (s.faceCount ?? 1) : (s.faceCount ?? 0),
    primary: hasFace
      ? ({
          box: { x: 240, y: 140, width: 160, height: 200 },
          score: 0.99,
          landmarks: landmarks(s.moving === false ? 0 : s.t, s.moving !== false),
          liveness: s.live ?? 0.99,
          eyes: { leftOpen: s.eyesOpen === false ? 0.02 : 0.98, rightOpen: s.eyesOpen === false ? 0.02 : 0.98, open: s.eyesOpen !== false },
          pose: { yaw: s.yaw ?? 0, pitch: s.pitch ?? 0, roll: 0 },
          mouthOpening: s.mouth ?? 0.02,
          quality: { brightness: 0.5, contrast: 0.2, sharpness: 100, faceSize: 200, asymmetry: 0.05, outsideFraction: 0, issues, ok: issues.length === 0 },
          ...(s.age === undefined ? {} : { age: s.age }),
          ...(s.male === undefined ? {} : { gender: { male: s.male } }),
        } as FrameAnalysis['primary'])
      : null,
    others: hasFace && (s.faceCount ?? 1) > 1 ? [{ x: 10, y: 10, width: 80, height: 100 }] : [],
    ...(s.embedding ? { embedding: s.embedding } : {}),
    keyFrame: s.embedding !== undefined && !s.embeddingAge,
    source: hasFace ? (detection ? 'detected' : 'tracked') : 'none',
    ages: {
      detection: detection ? 0 : 33,
      landmarks: hasFace ? 0 : null,
      liveness: hasFace ? (s.live === undefined ? 100 : 0) : null,
      poseModel: null,
      embedding: s.embedding ? (s.embeddingAge ?? 0) : null,
      attributes: s.age === undefined ? null : 0,
    },
    timingsMs: {},
    droppedFrames: 0,
  };
}

/** Frames every `stepMs` from `from` (inclusive) to `to` (exclusive). */
export function frames(from: number, to: number, spec: (t: number, i: number) => Omit<FrameSpec, 't'> = () => ({}), stepMs = 1000 / 30): FrameAnalysis[] {
  const out: FrameAnalysis[] = [];
  for (let i = 0, t = from; t < to - 1e-9; i++, t = from + i * stepMs) out.push(frame({ t, ...spec(t, i) }));
  return out;
}

/** mulberry32 (src/common/seeded-random.ts): a fixed seed belongs in tests only. */
export { seededRandom };

function gaussian(random: () => number): number {
  const u = Math.max(1e-12, random());
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

function unit(v: number[]): number[] {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

/** A person: a random unit vector (two persons have cosine ≈ 0 ± 0.05). */
export function identity(seed: number): number[] {
  const r = seededRandom(seed);
  return unit(Array.from({ length: 512 }, () => gaussian(r)));
}

/** Another key frame of the same person: cosine ≈ `similarity` to `base`. */
export function sample(base: readonly number[], seed: number, similarity = 0.9): number[] {
  const noise = identity(seed + 7919);
  // remove the part of the noise along base, then mix at the angle that gives the cosine
  const dot = noise.reduce((a, x, i) => a + x * base[i]!, 0);
  const ortho = unit(noise.map((x, i) => x - dot * base[i]!));
  const s = Math.sqrt(1 - similarity * similarity);
  return base.map((x, i) => similarity * x + s * ortho[i]!);
}

export function idPhoto(embedding: number[] | null): ImageAnalysis {
  return { width: 400, height: 500, faces: embedding ? [frame({ t: 0 }).primary!] : [], best: embedding ? 0 : -1, embedding, detection: embedding ? 'full' : 'none', timingsMs: {} };
}

/** Calibration fixture: match ≥ 0.5, mismatch < 0.2. */
export function calibration(match = 0.5, mismatch = 0.2): Calibration {
  return {
    model: 'fr_feature',
    modelSha256: 'a'.repeat(64),
    metric: 'cosine',
    matchThreshold: match,
    mismatchThreshold: mismatch,
    estimatedFmrAtMatch: 0,
    estimatedFnmrAtMismatch: 0,
    targets: { fmr: 0.01, fnmr: 0.05 },
    counts: { identities: 6, images: 20, genuine: 24, impostor: 166 },
    method: 'test fixture',
    createdAt: '2026-01-01T00:00:00.000Z',
  };
}

/** A clock the test moves (frames set it to their capturedAt via `follow`). */
export class TestClock {
  constructor(public t = 0) {}
  now = (): number => this.t;
}
