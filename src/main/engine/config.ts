/**
 * Engine tuning in one place. These are operating parameters of the pipeline (detector confidence,
 * quality gates, rates), not verdict thresholds: face-match bands come only from models/calibration.json.
 */

export interface EngineConfig {
  /** Detector: minimum softmaxed face score, NMS IoU, most faces kept. */
  detectThreshold: number;
  nmsIou: number;
  maxFaces: number;
  /** Still images: tiled re-detection grid sizes tried when the whole-image pass finds nothing. */
  tileGrids: number[];
  /** Liveness context factor about the face box centre (the model's training crop). */
  livenessScale: number;
  /** Eye crop side = eye-corner distance × this. */
  eyePadding: number;
  /** Open-eye probability above which an eye counts as open. */
  eyeOpenProbability: number;
  /** Quality gates (see Quality in src/shared/engine.ts). */
  quality: {
    minBrightness: number;
    maxBrightness: number;
    minContrast: number;
    minSharpness: number;
    minFaceSize: number;
    maxYaw: number;
    maxPitch: number;
    maxAsymmetry: number;
    maxOutsideFraction: number;
  };
  /** Embeddings on key frames: at most this many per second per stream. */
  maxEmbeddingsPerSecond: number;
  /**
   * The tracking pipeline (docs/engine.md "Which fields are fresh on which frames"): a full detection every
   * `detectEveryFrames` frames once `detectMinIntervalMs` have passed, always after `detectMaxAgeMs`, and as soon
   * as tracking is lost; the liveness and pose networks every `livenessIntervalMs` / `poseModelIntervalMs`,
   * sooner on key frames.
   */
  detectEveryFrames: number;
  detectMinIntervalMs: number;
  detectMaxAgeMs: number;
  livenessIntervalMs: number;
  poseModelIntervalMs: number;
  /** Still images larger than this (pixels) are refused before decoding. */
  maxInputPixels: number;
  /** Still images are downscaled so the long side is at most this before analysis. */
  maxAnalysisSide: number;
}

export const DEFAULT_CONFIG: EngineConfig = {
  detectThreshold: 0.7,
  nmsIou: 0.4,
  maxFaces: 16,
  tileGrids: [2, 3],
  livenessScale: 2.7,
  eyePadding: 1.6,
  eyeOpenProbability: 0.5,
  quality: {
    minBrightness: 0.2,
    maxBrightness: 0.85,
    minContrast: 0.06,
    minSharpness: 20,
    minFaceSize: 64,
    maxYaw: 30,
    maxPitch: 25,
    maxAsymmetry: 0.35,
    maxOutsideFraction: 0.15,
  },
  // DESIGN.md §10 asks for ≥ 5 embeddings/s, issue 8 for ≥ 10 beside the every-frame path: the key-frame pacing allows 10;
  // the embedding thread's queue of one drops the rest when it cannot keep up (best quality first)
  maxEmbeddingsPerSecond: 10,
  // Detection costs as much as everything else on a tracked frame together; every 5th frame (≈ 6/s at 30 fps)
  // still notices a second face or a face that left within ~170 ms.
  // The minimum interval keeps the detector at ≤ 10/s when frames come faster than a camera's 30/s (the bench).
  detectEveryFrames: 5,
  detectMinIntervalMs: 100,
  detectMaxAgeMs: 300,
  // Blinks last 100–300 ms and are caught by the every-frame eye model; passive liveness and the pose network
  // change slowly, so a few results a second (plus one on each key frame) are enough.
  livenessIntervalMs: 250,
  poseModelIntervalMs: 500,
  // 40 MP: a 50-megapixel upload is refused with CORRUPT_INPUT before any pixel is decoded.
  maxInputPixels: 40_000_000,
  maxAnalysisSide: 1600,
};
