/**
 * The every-frame path (runs in the engine process): what a real-time face SDK does per video frame.
 *
 *   detection frame (every N frames, after max age, or when tracking is lost): detector → primary face
 *   every frame with a face: landmarks on the detected or predicted box → eyes, mouth, landmark head pose,
 *                            aligned crop + quality
 *   on a schedule, sooner on key frames: passive liveness, the fr_pose network (which also corrects the
 *                            landmark pose's per-face bias)
 *   key frames (quality passed, pacing allows): the aligned crop goes to the embedding lane, off this path
 *
 * Live streams never run the detector, the liveness and the pose network on the same frame (except on a
 * new face), which keeps the frame-time tail short. docs/engine.md lists which field is fresh on which frame;
 * every result carries the ages (FrameAnalysis.ages).
 */
import type { Box, Face, FieldAges, FrameAnalysis, Point, Pose, StageTimings } from '../../../shared/engine';
import type { EngineConfig } from '../config';
import type { FrameRequest } from '../protocol';
import { fivePoints, iou, mouthOpening, primaryIndex, type Detection } from '../geometry';
import type { RawImage } from '../image';
import { estimatePose } from '../landmark-pose';
import { detect } from '../models/detector';
import { alignedPatch } from '../models/embedder';
import { eyes as eyeModel } from '../models/eyes';
import { landmarks as landmarkModel } from '../models/landmarks';
import { liveness as livenessModel } from '../models/liveness';
import { poseModel } from '../models/pose-model';
import type { RunModel } from '../models/run-model';
import { assessQuality, outsideFraction, qualityScore } from '../quality';
import { faceAgeGender } from '../still';
import { boxFromLandmarks, checkTrack, predictBox, relationOf, type BoxRelation } from './track';

/** A frame as the engine process receives it (protocol.ts), offline decided. */
export type FrameInput = Omit<FrameRequest, 'type' | 'seq' | 'offline'> & { offline: boolean };

/** A key frame's aligned crop for the embedding lane. */
export interface KeyFrame {
  streamId: string;
  trackId: number;
  capturedAt: number;
  aligned: Float32Array;
  score: number;
}

interface Timed<T> {
  value: T;
  at: number;
}

interface Track {
  id: number;
  box: Box;
  previousBox: Box | null;
  landmarks: Point[];
  relation: BoxRelation;
  detectionScore: number;
  framesSinceDetection: number;
  lastDetectionAt: number;
  faceCount: number;
  others: Box[];
  liveness: Timed<number> | null;
  poseModel: Timed<Pose> | null;
  /** fr_age / fr_gender (optional models): estimates that change slowly, refreshed on key frames. */
  attributes: Timed<Pick<Face, 'age' | 'gender'>> | null;
  /** fr_pose minus the landmark estimate, smoothed: the landmark pose's error for this face. */
  poseBias: Pose | null;
  lastFrameAt: number;
}

interface StreamState {
  track: Track | null;
  /** When the last detection found nobody (the detector reruns every frame until somebody appears). */
  lastEmptyDetectionAt: number | null;
}

const now = () => performance.now();
const clamp = (v: number, limit: number) => Math.max(-limit, Math.min(limit, v));
const age = (capturedAt: number, t: Timed<unknown> | null) => (t ? Math.max(0, capturedAt - t.at) : null);

export class FramePipeline {
  private readonly streams = new Map<string, StreamState>();
  private nextTrackId = 1;

  constructor(
    private readonly run: RunModel,
    private readonly config: EngineConfig,
  ) {}

  release(streamId: string): void {
    this.streams.delete(streamId);
  }

  /** Streams with tracking state (diagnostics, tests). */
  trackedStreams(): string[] {
    return [...this.streams.keys()];
  }

  /** The current track id of a stream, if a face is being tracked (tests). */
  trackId(streamId: string): number | null {
    return this.streams.get(streamId)?.track?.id ?? null;
  }

  async analyze(input: FrameInput): Promise<{ result: FrameAnalysis; keyFrame: KeyFrame | null }> {
    const t0 = now();
    const timings: StageTimings = {};
    const img: RawImage = { width: input.width, height: input.height, channels: 4, data: input.pixels };
    const state = this.streams.get(input.streamId) ?? { track: null, lastEmptyDetectionAt: null };
    this.streams.set(input.streamId, state);
    let track = state.track;
    // a stream that paused (a frozen camera, a call on hold) restarts from a detection
    if (track && input.capturedAt - track.lastFrameAt > 1000) track = null;

    let detected = false;
    let lm: Point[] | null = null;
    let box: Box | null = null;
    if (track && !this.detectionDue(track, input.capturedAt)) {
      const predicted = predictBox(track.box, track.previousBox);
      const t = now();
      const found = await landmarkModel(this.run, img, predicted);
      timings.landmarks = now() - t;
      const foundBox = boxFromLandmarks(found, track.relation);
      // lost: detect on this same frame (the detection may find the same face again and keep its track)
      if (checkTrack(predicted, foundBox, fivePoints(found), input.width, input.height).ok) {
        lm = found;
        box = foundBox;
      }
    }
    if (!lm) {
      const t = now();
      const dets = await detect(this.run, img, this.config);
      timings.detect = now() - t;
      detected = true;
      if (dets.length === 0) {
        state.track = null;
        state.lastEmptyDetectionAt = input.capturedAt;
        return { result: this.empty(input, timings, t0), keyFrame: null };
      }
      const chosen = this.choosePrimary(dets, track, input);
      const t2 = now();
      lm = await landmarkModel(this.run, img, chosen.det.box);
      timings.landmarks = (timings.landmarks ?? 0) + (now() - t2);
      box = chosen.det.box;
      const others = dets.filter((d) => d !== chosen.det).map((d) => d.box);
      track = chosen.continues && track
        ? { ...track, relation: relationOf(box, lm), detectionScore: chosen.det.score, framesSinceDetection: 0, lastDetectionAt: input.capturedAt, faceCount: dets.length, others }
        : this.newTrack(box, lm, chosen.det.score, dets.length, others, input.capturedAt);
    }
    const t = track!;
    t.previousBox = detected && !t.landmarks.length ? null : t.box;
    t.box = box!;
    t.landmarks = lm;
    if (!detected) t.framesSinceDetection++;
    t.lastFrameAt = input.capturedAt;
    state.track = t;
    state.lastEmptyDetectionAt = null;

    let s = now();
    const points5 = fivePoints(lm);
    const eyes = await eyeModel(this.run, img, lm, this.config);
    timings.eyes = now() - s;

    s = now();
    const raw = estimatePose(lm);
    const bias = t.poseBias;
    const pose: Pose = bias ? { yaw: raw.yaw + bias.yaw, pitch: raw.pitch + bias.pitch, roll: raw.roll + bias.roll } : raw;
    const aligned = alignedPatch(img, points5);
    const quality = assessQuality({ box: t.box, pose, eyes }, aligned, outsideFraction(t.box, input.width, input.height), this.config.quality);
    timings.quality = now() - s;
    const keyFrameWanted = input.embeddingAllowed && quality.ok;

    // the slower networks: due by age, sooner on a key frame; on live streams never stacked on a detection
    const fresh = t.liveness === null;
    const spare = input.offline || !detected || fresh;
    if (spare && this.due(t.liveness, input.capturedAt, this.config.livenessIntervalMs, keyFrameWanted)) {
      s = now();
      const live = await livenessModel(this.run, img, t.box, this.config.livenessScale);
      timings.liveness = now() - s;
      t.liveness = { value: live.live, at: input.capturedAt };
    }
    const ranHeavy = detected || timings.liveness !== undefined;
    if ((input.offline || !ranHeavy || t.poseModel === null) && this.due(t.poseModel, input.capturedAt, this.config.poseModelIntervalMs, keyFrameWanted)) {
      s = now();
      const model = await poseModel(this.run, img, t.box);
      timings.poseModel = now() - s;
      t.poseModel = { value: model, at: input.capturedAt };
      const residual = { yaw: model.yaw - raw.yaw, pitch: model.pitch - raw.pitch, roll: model.roll - raw.roll };
      // a bounded, smoothed per-face correction: faces differ in shape, the landmark estimate does not know it
      t.poseBias = t.poseBias
        ? { yaw: clamp(t.poseBias.yaw + 0.3 * (residual.yaw - t.poseBias.yaw), 20), pitch: clamp(t.poseBias.pitch + 0.3 * (residual.pitch - t.poseBias.pitch), 20), roll: clamp(t.poseBias.roll + 0.3 * (residual.roll - t.poseBias.roll), 10) }
        : { yaw: clamp(residual.yaw, 20), pitch: clamp(residual.pitch, 20), roll: clamp(residual.roll, 10) };
    }

    // age and gender (two 64×64 networks, ≈ 1 ms) on key frames at most once a second, not on a detection frame
    if (keyFrameWanted && (input.offline || timings.detect === undefined || t.attributes === null) && (t.attributes === null || input.capturedAt - t.attributes.at >= 1000 || input.capturedAt < t.attributes.at)) {
      s = now();
      const estimate = await faceAgeGender(this.run, img, t.box);
      if (estimate.age !== undefined) {
        timings.attributes = now() - s;
        t.attributes = { value: estimate, at: input.capturedAt };
      }
    }

    const primary: Face = {
      box: t.box,
      score: t.detectionScore,
      landmarks: lm,
      points5,
      ...(t.liveness ? { liveness: t.liveness.value } : {}),
      eyes,
      pose,
      mouthOpening: mouthOpening(lm),
      quality,
      ...(t.attributes ? t.attributes.value : {}),
    };
    const ages: FieldAges = {
      detection: Math.max(0, input.capturedAt - t.lastDetectionAt),
      landmarks: 0,
      liveness: age(input.capturedAt, t.liveness),
      poseModel: age(input.capturedAt, t.poseModel),
      embedding: null,
      attributes: age(input.capturedAt, t.attributes),
    };
    timings.total = now() - t0;
    const result: FrameAnalysis = {
      streamId: input.streamId,
      capturedAt: input.capturedAt,
      width: input.width,
      height: input.height,
      faceCount: t.faceCount,
      primary,
      others: t.others,
      keyFrame: keyFrameWanted,
      source: detected ? 'detected' : 'tracked',
      ...(t.poseModel ? { poseModel: t.poseModel.value } : {}),
      ages,
      timingsMs: timings,
      droppedFrames: input.droppedFrames,
    };
    const keyFrame = keyFrameWanted ? { streamId: input.streamId, trackId: t.id, capturedAt: input.capturedAt, aligned, score: qualityScore(quality, pose) } : null;
    return { result, keyFrame };
  }

  private detectionDue(track: Track, capturedAt: number): boolean {
    const age = capturedAt - track.lastDetectionAt;
    if (age < 0 || age >= this.config.detectMaxAgeMs) return true;
    return track.framesSinceDetection + 1 >= this.config.detectEveryFrames && age >= this.config.detectMinIntervalMs;
  }

  private due(last: Timed<unknown> | null, capturedAt: number, intervalMs: number, keyFrame: boolean): boolean {
    if (!last) return true;
    const elapsed = capturedAt - last.at;
    // a stream's clock can go backwards (a restarted capture): treat it as due
    return elapsed < 0 || elapsed >= intervalMs || (keyFrame && elapsed >= intervalMs * 0.4);
  }

  /**
   * On a detection frame: the face we were following if it is still there (so a second face walking in does
   * not steal the session), else the largest, most central face as a new track.
   */
  private choosePrimary(dets: Detection[], track: Track | null, input: FrameInput): { det: Detection; continues: boolean } {
    if (track) {
      const predicted = predictBox(track.box, track.previousBox);
      let best: Detection | null = null;
      let bestIou = 0.3;
      for (const d of dets) {
        const o = iou(d.box, predicted);
        if (o > bestIou) {
          bestIou = o;
          best = d;
        }
      }
      if (best) return { det: best, continues: true };
    }
    const pi = primaryIndex(dets.map((d) => d.box), input.width, input.height);
    return { det: dets[pi]!, continues: false };
  }

  private newTrack(box: Box, lm: Point[], score: number, faceCount: number, others: Box[], at: number): Track {
    return {
      id: this.nextTrackId++,
      box,
      previousBox: null,
      landmarks: [],
      relation: relationOf(box, lm),
      detectionScore: score,
      framesSinceDetection: 0,
      lastDetectionAt: at,
      faceCount,
      others,
      liveness: null,
      poseModel: null,
      attributes: null,
      poseBias: null,
      lastFrameAt: at,
    };
  }

  private empty(input: FrameInput, timings: StageTimings, t0: number): FrameAnalysis {
    timings.total = now() - t0;
    return {
      streamId: input.streamId,
      capturedAt: input.capturedAt,
      width: input.width,
      height: input.height,
      faceCount: 0,
      primary: null,
      others: [],
      keyFrame: false,
      source: 'none',
      ages: { detection: 0, landmarks: null, liveness: null, poseModel: null, embedding: null, attributes: null },
      timingsMs: timings,
      droppedFrames: input.droppedFrames,
    };
  }
}
