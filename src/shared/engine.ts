/**
 * Face engine results as the UI and the verification logic consume them (DESIGN.md §5–§6).
 * Plain data, no Node: the same schemas validate results in main, in the CLI and in the renderer.
 */
import { z } from 'zod';

export const BoxSchema = z.object({ x: z.number(), y: z.number(), width: z.number(), height: z.number() });
export type Box = z.infer<typeof BoxSchema>;

export const PointSchema = z.tuple([z.number(), z.number()]);
export type Point = z.infer<typeof PointSchema>;

export const PoseSchema = z.object({
  /**
   * Degrees; positive = the nose points towards the image's left (the subject turns to their own right; the
   * profile in faces/pose/ham_t1.90s.jpg is ≈ +60). The fr_pose convention, which the landmark estimate follows. See docs/engine.md.
   */
  yaw: z.number(),
  /** Degrees, from the pose model's pitch head (sign as the model gives it; see docs/engine.md). */
  pitch: z.number(),
  /** Degrees, from the pose model's roll head. */
  roll: z.number(),
});
export type Pose = z.infer<typeof PoseSchema>;

export const QUALITY_ISSUES = ['too_dark', 'too_bright', 'low_contrast', 'blurred', 'too_small', 'turned', 'occluded', 'partly_outside', 'eyes_closed'] as const;
export type QualityIssue = (typeof QUALITY_ISSUES)[number];

export const QualitySchema = z.object({
  /** Mean luma of the face region, 0..1. */
  brightness: z.number(),
  /** Standard deviation of the face region's luma, 0..1. */
  contrast: z.number(),
  /** Variance of the Laplacian of the aligned 112×112 grey face (higher = sharper). */
  sharpness: z.number(),
  /** Face box height in pixels of the analysed image. */
  faceSize: z.number(),
  /** Left/right luma imbalance of the aligned face, 0..1 (hand, shadow, backlight cue). */
  asymmetry: z.number(),
  /** Fraction of the face box that falls outside the image, 0..1. */
  outsideFraction: z.number(),
  /** Everything that fails a quality gate (also the agent's prompts). */
  issues: z.array(z.enum(QUALITY_ISSUES)),
  /** True when the face is good enough for an embedding / evidence frame. */
  ok: z.boolean(),
});
export type Quality = z.infer<typeof QualitySchema>;

export const EyesSchema = z.object({
  /** Probability that each eye is open (image-left eye, image-right eye). */
  leftOpen: z.number(),
  rightOpen: z.number(),
  open: z.boolean(),
});
export type Eyes = z.infer<typeof EyesSchema>;

export const FaceSchema = z.object({
  box: BoxSchema,
  /** Detector confidence, 0..1. */
  score: z.number(),
  /** 68 iBUG landmarks in image pixels. */
  landmarks: z.array(PointSchema).length(68).optional(),
  /** Eye centres, nose tip, mouth corners (the alignment points). */
  points5: z.array(PointSchema).length(5).optional(),
  /** Probability that the face is live (passive anti-spoofing, softmax class 0). */
  liveness: z.number().optional(),
  eyes: EyesSchema.optional(),
  pose: PoseSchema.optional(),
  /** Inner-lip gap divided by mouth width (0 = closed, ≳0.3 = wide open). */
  mouthOpening: z.number().optional(),
  quality: QualitySchema.optional(),
  /** Estimated age in years (fr_age, SSR-Net); an estimate, absent when the optional model is not installed. */
  age: z.number().optional(),
  /** fr_gender score: `male` 0..1, ≥ 0.5 = male (a regression score, not a calibrated probability); optional like age. */
  gender: z.object({ male: z.number() }).optional(),
});
export type Face = z.infer<typeof FaceSchema>;

export const StageTimingsSchema = z.record(z.string(), z.number());
export type StageTimings = z.infer<typeof StageTimingsSchema>;

/**
 * How old each part of a frame result is, in ms before this frame's capturedAt (0 = computed on this very
 * frame; null = not computed yet for the face being tracked). The tracking pipeline (docs/engine.md) runs
 * the detector, the liveness model, the pose model and the embedding only on some frames and carries their
 * last values forward; consumers that need a fresh value (a challenge step, an evidence frame) check here.
 */
export const FieldAgesSchema = z.object({
  /** faceCount and others: from the last full detection. */
  detection: z.number().nullable(),
  /** primary.box, primary.landmarks, points5, eyes, mouthOpening, pose, quality: every frame with a face (0). */
  landmarks: z.number().nullable(),
  /** primary.liveness (passive anti-spoofing). */
  liveness: z.number().nullable(),
  /** poseModel (the fr_pose network; primary.pose is the landmark estimate of this frame). */
  poseModel: z.number().nullable(),
  /** embedding: the key frame it was computed on. */
  embedding: z.number().nullable(),
  /** primary.age and primary.gender (fr_age, fr_gender: on key frames, at most once a second). */
  attributes: z.number().nullable().default(null),
});
export type FieldAges = z.infer<typeof FieldAgesSchema>;

/** One analysed video frame (the every-frame path). */
export const FrameAnalysisSchema = z.object({
  streamId: z.string(),
  capturedAt: z.number(),
  width: z.number().int(),
  height: z.number().int(),
  faceCount: z.number().int(),
  /** The primary face (largest, most central) with all attributes; null when no face. */
  primary: FaceSchema.nullable(),
  /** Boxes of the other faces (presence check). */
  others: z.array(BoxSchema),
  /**
   * Unit-length embedding of the primary face from a quality-gated key frame. Embeddings are computed off the
   * every-frame path, so it rides on the first result after it is ready; ages.embedding says how old its key
   * frame is (0 for offline analysis, which waits for it).
   */
  embedding: z.array(z.number()).optional(),
  /** Quality-gated key frame: an embedding of this frame was requested. */
  keyFrame: z.boolean().default(false),
  /** How primary was found: a full detection on this frame, or tracked from the previous frame's landmarks. */
  source: z.enum(['detected', 'tracked', 'none']).default('none'),
  /** The last output of the fr_pose network for this face (primary.pose is the per-frame landmark estimate). */
  poseModel: PoseSchema.optional(),
  ages: FieldAgesSchema.default({ detection: null, landmarks: null, liveness: null, poseModel: null, embedding: null, attributes: null }),
  timingsMs: StageTimingsSchema,
  /** Frames of this stream replaced in the mailbox since the previous result. */
  droppedFrames: z.number().int(),
});
export type FrameAnalysis = z.infer<typeof FrameAnalysisSchema>;

/** A still image (ID photo, file): every face, the best one's embedding. */
export const ImageAnalysisSchema = z.object({
  width: z.number().int(),
  height: z.number().int(),
  faces: z.array(FaceSchema),
  /** Index into faces of the face used for comparison, or -1. */
  best: z.number().int(),
  embedding: z.array(z.number()).nullable(),
  /** How the faces were found: the whole image, or tiles (small portrait on a document). */
  detection: z.enum(['full', 'tiled', 'none']),
  timingsMs: StageTimingsSchema,
});
export type ImageAnalysis = z.infer<typeof ImageAnalysisSchema>;

export const BANDS = ['match', 'review', 'mismatch'] as const;
export type Band = (typeof BANDS)[number];

export const CalibrationSummarySchema = z.object({
  matchThreshold: z.number(),
  mismatchThreshold: z.number(),
  modelSha256: z.string(),
  estimatedFmrAtMatch: z.number(),
  estimatedFnmrAtMismatch: z.number(),
  method: z.string(),
});
export type CalibrationSummary = z.infer<typeof CalibrationSummarySchema>;

export const ComparisonSchema = z.object({
  similarity: z.number(),
  band: z.enum(BANDS),
  calibration: CalibrationSummarySchema,
});
export type Comparison = z.infer<typeof ComparisonSchema>;
