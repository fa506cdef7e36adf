/**
 * Still images (ID photos, uploaded files): every model on every face, then one embedding of the best
 * face. The embedding function is passed in because the engine process runs fr_feature in its own thread;
 * tools running in-process pass `(a) => embed(run, a)`. Age and gender (fr_age, fr_gender) are optional
 * models: when they are not loaded (or fail) a face simply has no `age` / `gender`.
 */
import type { Face, ImageAnalysis, StageTimings } from '../../shared/engine';
import type { EngineConfig } from './config';
import { fivePoints, mouthOpening, type Detection } from './geometry';
import type { RawImage } from './image';
import { ageGender } from './models/age-gender';
import { detectStill } from './models/detector';
import { alignedPatch } from './models/embedder';
import { eyes } from './models/eyes';
import { landmarks } from './models/landmarks';
import { liveness } from './models/liveness';
import { poseModel } from './models/pose-model';
import type { RunModel } from './models/run-model';
import { assessQuality, outsideFraction } from './quality';

const now = () => performance.now();

/** Everything about one detected face except its embedding; stage times go into `timings`. */
export async function analyzeFace(run: RunModel, img: RawImage, det: Detection, config: EngineConfig, timings: StageTimings = {}): Promise<Face> {
  let t = now();
  const lm = await landmarks(run, img, det.box);
  const p5 = fivePoints(lm);
  timings.landmarks = now() - t;
  t = now();
  const live = await liveness(run, img, det.box, config.livenessScale);
  timings.liveness = now() - t;
  t = now();
  const eyeState = await eyes(run, img, lm, config);
  timings.eyes = now() - t;
  t = now();
  const pose = await poseModel(run, img, det.box);
  timings.pose = now() - t;
  t = now();
  const aligned = alignedPatch(img, p5);
  const quality = assessQuality({ box: det.box, pose, eyes: eyeState }, aligned, outsideFraction(det.box, img.width, img.height), config.quality);
  timings.quality = now() - t;
  return {
    box: det.box,
    score: det.score,
    landmarks: lm,
    points5: p5,
    liveness: live.live,
    eyes: eyeState,
    pose,
    mouthOpening: mouthOpening(lm),
    quality,
  };
}

/**
 * Age and gender of one face, or nothing: the models are optional (`required: false` in the manifest, not
 * loaded when their files are missing) and advisory, so their absence or failure never fails a still.
 */
export async function faceAgeGender(run: RunModel, img: RawImage, box: Face['box']): Promise<Pick<Face, 'age' | 'gender'>> {
  try {
    const { age, male } = await ageGender(run, img, box);
    return { age, gender: { male } };
  } catch {
    return {};
  }
}

/** Ranks faces of one still for comparison: large, confident, and good quality (a failed gate halves it). */
function stillRank(f: Face): number {
  return f.box.width * f.box.height * f.score * (f.quality?.ok ? 1 : 0.5);
}

/** A still image: every face analysed; the best one embedded. */
export async function analyzeStill(
  run: RunModel,
  img: RawImage,
  config: EngineConfig,
  embedAligned: (aligned: Float32Array) => Promise<Float32Array>,
): Promise<ImageAnalysis & { embeddingF32: Float32Array | null }> {
  const timings: StageTimings = {};
  const t0 = now();
  const { detections, mode } = await detectStill(run, img, config);
  timings.detect = now() - t0;
  const faces: Face[] = [];
  for (const det of detections) {
    const face = await analyzeFace(run, img, det, config, {});
    faces.push({ ...face, ...(await faceAgeGender(run, img, det.box)) });
  }
  let best = -1;
  let bestScore = -Infinity;
  faces.forEach((f, i) => {
    const score = stillRank(f);
    if (score > bestScore) {
      bestScore = score;
      best = i;
    }
  });
  let embedding: Float32Array | null = null;
  if (best >= 0) {
    const t = now();
    embedding = await embedAligned(alignedPatch(img, faces[best]!.points5!));
    timings.embedding = now() - t;
  }
  timings.total = now() - t0;
  return {
    width: img.width,
    height: img.height,
    faces,
    best,
    embedding: embedding ? Array.from(embedding) : null,
    embeddingF32: embedding,
    detection: mode,
    timingsMs: timings,
  };
}
