/**
 * The face pipeline on onnxruntime-node (runs inside the engine worker, or in-process for tools).
 * Pre/post-processing is ours (DESIGN.md §5); each model's contract is in models/manifest.json.
 */
import * as ort from 'onnxruntime-node';
import type { Box, Eyes, Face, ImageAnalysis, Point, Pose, Quality, QualityIssue, StageTimings } from '../../shared/engine';
import { AppFailure } from '../../shared/errors';
import { DEFAULT_CONFIG, type EngineConfig } from './config';
import {
  ARCFACE_TEMPLATE,
  contextCrop,
  decodeDetections,
  estimateSimilarity,
  eyeCrop,
  fivePoints,
  mouthOpening,
  nms,
  primaryIndex,
  scaleBox,
  clipRect,
  similarityToSamplingAffine,
  squareBox,
  type Detection,
} from './geometry';
import { laplacianVariance, meanStd, patchToChw, patchToGrey, rectToAffine, samplePatch, type RawImage, type Rect } from './image';
import { ENGINE_MODELS, loadManifest, readVerifiedModel, type EngineModelName } from './manifest';
import { providerCandidates, type ProviderName } from './providers';
import { l2normalize } from './cosine';

export { cosine, l2normalize } from './cosine';

const DET_W = 320;
const DET_H = 240;
const IMAGENET_MEAN = [0.485, 0.456, 0.406];
const IMAGENET_STD = [0.229, 0.224, 0.225];

export interface AnalyzerOptions {
  modelsDir: string;
  intraOpThreads?: number;
  providers?: ProviderName[];
  config?: Partial<EngineConfig>;
}

export interface FaceWithEmbedding extends Face {
  embedding?: Float32Array;
}

export interface FrameResult {
  faceCount: number;
  primary: Face | null;
  others: Box[];
  embedding?: Float32Array;
  timingsMs: StageTimings;
}

const now = () => performance.now();

function softmax(values: Float32Array | number[]): number[] {
  let max = -Infinity;
  for (const v of values) max = Math.max(max, v);
  const exps = Array.from(values, (v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

/** Fraction of the face box that lies outside the image (face cut by the frame edge). */
export function outsideFraction(box: Box, width: number, height: number): number {
  const ix = Math.max(0, Math.min(width, box.x + box.width) - Math.max(0, box.x));
  const iy = Math.max(0, Math.min(height, box.y + box.height) - Math.max(0, box.y));
  return 1 - (ix * iy) / Math.max(1e-9, box.width * box.height);
}

export class FaceAnalyzer {
  private constructor(
    private readonly sessions: Record<EngineModelName, ort.InferenceSession>,
    readonly provider: ProviderName,
    readonly config: EngineConfig,
    readonly modelSha256: Record<string, string>,
  ) {}

  static async create(options: AnalyzerOptions): Promise<FaceAnalyzer> {
    const config: EngineConfig = { ...DEFAULT_CONFIG, ...options.config, quality: { ...DEFAULT_CONFIG.quality, ...options.config?.quality } };
    const manifest = loadManifest(options.modelsDir);
    const bytes = {} as Record<EngineModelName, Uint8Array>;
    for (const name of ENGINE_MODELS) bytes[name] = readVerifiedModel(options.modelsDir, name, manifest);
    const sha: Record<string, string> = {};
    for (const name of ENGINE_MODELS) sha[name] = manifest.models[name]!.sha256;

    const bundled = new Set((ort.listSupportedBackends?.() ?? []).filter((b) => b.bundled).map((b) => b.name));
    const candidates = (options.providers ?? providerCandidates()).filter((p) => p === 'cpu' || bundled.size === 0 || bundled.has(p));
    let lastError: unknown = null;
    for (const provider of candidates) {
      try {
        const sessions = {} as Record<EngineModelName, ort.InferenceSession>;
        for (const name of ENGINE_MODELS) {
          sessions[name] = await ort.InferenceSession.create(bytes[name], {
            executionProviders: provider === 'cpu' ? ['cpu'] : [provider, 'cpu'],
            intraOpNumThreads: options.intraOpThreads ?? 1,
            interOpNumThreads: 1,
            graphOptimizationLevel: 'all',
            executionMode: 'sequential',
            logSeverityLevel: 3,
            // Each model has its own intra-op pool; spinning workers of six pools starve each other (and the
            // video) on a 2-core PC, so idle pool threads sleep instead.
            extra: { session: { intra_op: { allow_spinning: '0' } } },
          });
        }
        const analyzer = new FaceAnalyzer(sessions, provider, config, sha);
        await analyzer.warmUp();
        return analyzer;
      } catch (error) {
        lastError = error;
      }
    }
    throw new AppFailure('UNAVAILABLE', `could not load the face models with any execution provider: ${lastError instanceof Error ? lastError.message : String(lastError)}`);
  }

  async release(): Promise<void> {
    for (const session of Object.values(this.sessions)) await session.release();
  }

  private async warmUp(): Promise<void> {
    const img: RawImage = { width: 64, height: 48, channels: 3, data: new Uint8Array(64 * 48 * 3).fill(128) };
    await this.detect(img);
    const box = { x: 8, y: 8, width: 32, height: 32 };
    await this.analyzeFace(img, { box, score: 1 }, true);
  }

  private async run(name: EngineModelName, data: Float32Array, dims: number[]): Promise<ort.InferenceSession.OnnxValueMapType> {
    const session = this.sessions[name];
    const input = new ort.Tensor('float32', data, dims);
    return session.run({ [session.inputNames[0]!]: input });
  }

  private static out(result: ort.InferenceSession.OnnxValueMapType, name: string): Float32Array {
    const t = result[name];
    if (!t) throw new AppFailure('INTERNAL', `model output ${name} missing`);
    return t.data as Float32Array;
  }

  /** Detects faces in `region` (default: whole image), letterboxed into the 320×240 detector input. */
  async detect(img: RawImage, region?: Rect): Promise<Detection[]> {
    const r = region ?? { x: 0, y: 0, width: img.width, height: img.height };
    const scale = Math.min(DET_W / r.width, DET_H / r.height);
    const sampled: Rect = { x: r.x, y: r.y, width: DET_W / scale, height: DET_H / scale };
    const patch = samplePatch(img, rectToAffine(sampled, DET_W, DET_H), DET_W, DET_H, 127);
    const tensor = patchToChw(patch, DET_W, DET_H, [127, 127, 127], [128, 128, 128]);
    const result = await this.run('fr_detect', tensor, [1, 3, DET_H, DET_W]);
    const dets = decodeDetections(FaceAnalyzer.out(result, 'scores'), FaceAnalyzer.out(result, 'boxes'), DET_W, DET_H, this.config.detectThreshold);
    const mapped = dets
      .map((d) => ({ score: d.score, box: { x: r.x + d.box.x / scale, y: r.y + d.box.y / scale, width: d.box.width / scale, height: d.box.height / scale } }))
      // drop boxes that lie mostly in the letterbox padding
      .filter((d) => d.box.x + d.box.width / 2 < r.x + r.width && d.box.y + d.box.height / 2 < r.y + r.height);
    return nms(mapped, this.config.nmsIou, this.config.maxFaces);
  }

  /** Still images: whole image first; if nothing is found, overlapping tiles (small portraits on documents). */
  async detectStill(img: RawImage): Promise<{ detections: Detection[]; mode: 'full' | 'tiled' | 'none' }> {
    const full = await this.detect(img);
    if (full.length > 0) return { detections: full, mode: 'full' };
    for (const n of this.config.tileGrids) {
      const tw = img.width / n;
      const th = img.height / n;
      const all: Detection[] = [];
      // tiles of 1/n of the image with 50 % overlap
      for (let ty = 0; ty <= 2 * (n - 1); ty++) {
        for (let tx = 0; tx <= 2 * (n - 1); tx++) {
          const rect = clipRect({ x: (tx * tw) / 2, y: (ty * th) / 2, width: tw, height: th }, img.width, img.height);
          all.push(...(await this.detect(img, rect)));
        }
      }
      const kept = nms(all, this.config.nmsIou, this.config.maxFaces);
      if (kept.length > 0) return { detections: kept, mode: 'tiled' };
    }
    return { detections: [], mode: 'none' };
  }

  async landmarks(img: RawImage, box: Box): Promise<Point[]> {
    const sq = squareBox(box);
    const patch = samplePatch(img, rectToAffine(sq, 64, 64), 64, 64);
    const grey = patchToGrey(patch, 64, 64);
    for (let i = 0; i < grey.length; i++) grey[i] = grey[i]! / 256;
    const out = FaceAnalyzer.out(await this.run('fr_landmark', grey, [1, 1, 64, 64]), 'output');
    const points: Point[] = [];
    for (let i = 0; i < 68; i++) points.push([sq.x + out[2 * i]! * sq.width, sq.y + out[2 * i + 1]! * sq.height]);
    return points;
  }

  async liveness(img: RawImage, box: Box): Promise<{ live: number; contextOutsideFraction: number }> {
    const { rect, outsideFraction: contextOutsideFraction } = contextCrop(squareBox(box), this.config.livenessScale, img.width, img.height);
    const patch = samplePatch(img, rectToAffine(rect, 128, 128), 128, 128);
    // BGR planes, raw 0..255: the anti-spoofing model follows OpenCV's channel order (docs/engine.md).
    const tensor = patchToChw(patch, 128, 128, [0, 0, 0], [1, 1, 1], 1, true);
    const probs = softmax(FaceAnalyzer.out(await this.run('fr_liveness', tensor, [1, 3, 128, 128]), 'output'));
    return { live: probs[0]!, contextOutsideFraction };
  }

  async eyes(img: RawImage, lm: readonly Point[]): Promise<Eyes> {
    const open: number[] = [];
    for (const which of ['left', 'right'] as const) {
      const patch = samplePatch(img, rectToAffine(eyeCrop(lm, which, this.config.eyePadding), 24, 24), 24, 24);
      const grey = patchToGrey(patch, 24, 24);
      for (let i = 0; i < grey.length; i++) grey[i] = grey[i]! / 255;
      const probs = softmax(FaceAnalyzer.out(await this.run('fr_eye', grey, [1, 1, 24, 24]), 'output'));
      open.push(probs[1]!);
    }
    const [leftOpen, rightOpen] = open as [number, number];
    return { leftOpen, rightOpen, open: (leftOpen + rightOpen) / 2 >= this.config.eyeOpenProbability };
  }

  async pose(img: RawImage, box: Box): Promise<Pose> {
    const grown = clipRect(scaleBox(squareBox(box), 1.5), img.width, img.height);
    const patch = samplePatch(img, rectToAffine(grown, 224, 224), 224, 224);
    const tensor = patchToChw(patch, 224, 224, IMAGENET_MEAN, IMAGENET_STD, 1 / 255);
    const result = await this.run('fr_pose', tensor, [1, 3, 224, 224]);
    const angle = (name: string) => softmax(FaceAnalyzer.out(result, name)).reduce((acc, p, i) => acc + p * i, 0) * 3 - 99;
    return { yaw: angle('output'), pitch: angle('617'), roll: angle('618') };
  }

  /** 112×112 aligned RGB patch (HWC, 0..255) for the 5 points. */
  alignedPatch(img: RawImage, points5: readonly Point[]): Float32Array {
    const t = estimateSimilarity(points5, ARCFACE_TEMPLATE);
    return samplePatch(img, similarityToSamplingAffine(t), 112, 112);
  }

  async embedAligned(aligned: Float32Array): Promise<Float32Array> {
    const tensor = patchToChw(aligned, 112, 112, [127, 127, 127], [128, 128, 128]);
    return l2normalize(FaceAnalyzer.out(await this.run('fr_feature', tensor, [1, 3, 112, 112]), 'output'));
  }

  quality(face: { box: Box; pose?: Pose; eyes?: Eyes; score: number }, aligned: Float32Array, outsideFraction: number): Quality {
    const q = this.config.quality;
    const grey = patchToGrey(aligned, 112, 112);
    // the central face region of the aligned crop (skip background corners)
    const inner = new Float32Array(72 * 80);
    let leftSum = 0, rightSum = 0;
    for (let y = 0; y < 80; y++) {
      for (let x = 0; x < 72; x++) {
        const v = grey[(y + 24) * 112 + (x + 20)]!;
        inner[y * 72 + x] = v;
        if (x < 36) leftSum += v;
        else rightSum += v;
      }
    }
    const { mean, std } = meanStd(inner);
    const brightness = mean / 255;
    const contrast = std / 255;
    const sharpness = laplacianVariance(grey, 112, 112);
    const asymmetry = Math.abs(leftSum - rightSum) / Math.max(1, leftSum + rightSum);
    const issues: QualityIssue[] = [];
    if (brightness < q.minBrightness) issues.push('too_dark');
    if (brightness > q.maxBrightness) issues.push('too_bright');
    if (contrast < q.minContrast) issues.push('low_contrast');
    if (sharpness < q.minSharpness) issues.push('blurred');
    if (face.box.height < q.minFaceSize) issues.push('too_small');
    if (face.pose && (Math.abs(face.pose.yaw) > q.maxYaw || Math.abs(face.pose.pitch) > q.maxPitch)) issues.push('turned');
    if (asymmetry > q.maxAsymmetry) issues.push('occluded');
    if (outsideFraction > q.maxOutsideFraction) issues.push('partly_outside');
    if (face.eyes && !face.eyes.open) issues.push('eyes_closed');
    return { brightness, contrast, sharpness, faceSize: face.box.height, asymmetry, outsideFraction, issues, ok: issues.length === 0 };
  }

  /** Everything about one detected face; the embedding only when asked. */
  async analyzeFace(img: RawImage, det: Detection, withEmbedding: boolean, timings: StageTimings = {}): Promise<FaceWithEmbedding> {
    let t = now();
    const lm = await this.landmarks(img, det.box);
    const p5 = fivePoints(lm);
    timings.landmarks = now() - t;
    t = now();
    const live = await this.liveness(img, det.box);
    timings.liveness = now() - t;
    t = now();
    const eyes = await this.eyes(img, lm);
    timings.eyes = now() - t;
    t = now();
    const pose = await this.pose(img, det.box);
    timings.pose = now() - t;
    t = now();
    const aligned = this.alignedPatch(img, p5);
    const quality = this.quality({ box: det.box, pose, eyes, score: det.score }, aligned, outsideFraction(det.box, img.width, img.height));
    timings.quality = now() - t;
    const face: FaceWithEmbedding = {
      box: det.box,
      score: det.score,
      landmarks: lm,
      points5: p5,
      liveness: live.live,
      eyes,
      pose,
      mouthOpening: mouthOpening(lm),
      quality,
    };
    if (withEmbedding) {
      t = now();
      face.embedding = await this.embedAligned(aligned);
      timings.embedding = now() - t;
    }
    return face;
  }

  /**
   * The every-frame path: detect, count, pick the primary face, analyse it. `wantEmbedding(face)` decides
   * (after quality is known) whether this frame is a key frame.
   */
  async analyzeFrame(img: RawImage, wantEmbedding: (face: Face) => boolean): Promise<FrameResult> {
    const timings: StageTimings = {};
    const t0 = now();
    const dets = await this.detect(img);
    timings.detect = now() - t0;
    if (dets.length === 0) return { faceCount: 0, primary: null, others: [], timingsMs: { ...timings, total: now() - t0 } };
    const pi = primaryIndex(
      dets.map((d) => d.box),
      img.width,
      img.height,
    );
    const primaryDet = dets[pi]!;
    const face = await this.analyzeFace(img, primaryDet, false, timings);
    let embedding: Float32Array | undefined;
    if (wantEmbedding(face)) {
      const t = now();
      embedding = await this.embedAligned(this.alignedPatch(img, face.points5!));
      timings.embedding = now() - t;
    }
    timings.total = now() - t0;
    return { faceCount: dets.length, primary: face, others: dets.filter((_, i) => i !== pi).map((d) => d.box), embedding, timingsMs: timings };
  }

  /** A still image: every face analysed; the best (largest good-quality) one embedded. */
  async analyzeStill(img: RawImage): Promise<ImageAnalysis & { embeddingF32: Float32Array | null }> {
    const timings: StageTimings = {};
    const t0 = now();
    const { detections, mode } = await this.detectStill(img);
    timings.detect = now() - t0;
    const faces: FaceWithEmbedding[] = [];
    for (const det of detections) faces.push(await this.analyzeFace(img, det, false, {}));
    let best = -1;
    let bestScore = -Infinity;
    faces.forEach((f, i) => {
      const score = f.box.width * f.box.height * f.score * (f.quality?.ok ? 1 : 0.5);
      if (score > bestScore) {
        bestScore = score;
        best = i;
      }
    });
    let embedding: Float32Array | null = null;
    if (best >= 0) {
      const t = now();
      embedding = await this.embedAligned(this.alignedPatch(img, faces[best]!.points5!));
      timings.embedding = now() - t;
    }
    timings.total = now() - t0;
    return {
      width: img.width,
      height: img.height,
      faces: faces.map(({ embedding: _e, ...f }) => f),
      best,
      embedding: embedding ? Array.from(embedding) : null,
      embeddingF32: embedding,
      detection: mode,
      timingsMs: timings,
    };
  }
}
