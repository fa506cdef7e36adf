/**
 * `analyze VIDEO`: every frame through the engine (in order, nothing dropped), summarised per second.
 */
import type { FrameAnalysis } from '../../shared/engine';
import { AppFailure } from '../../shared/errors';
import type { Frame } from '../../shared/frame';
import type { EngineService } from './service';
import { openVideo, readY4m } from './video';

export interface SecondSummary {
  second: number;
  frames: number;
  framesWithFace: number;
  maxFaces: number;
  liveness: number | null;
  eyesOpenFraction: number | null;
  yaw: number | null;
  pitch: number | null;
  roll: number | null;
  mouthOpeningMax: number | null;
  qualityOkFraction: number | null;
  issues: string[];
  blinks: number;
  embeddings: number;
}

export interface VideoAnalysis {
  file: string;
  frames: number;
  /** Frames the engine could not analyse (an error, or lost twice in engine restarts). */
  skippedFrames: number;
  fps: number;
  width: number;
  height: number;
  durationSeconds: number;
  blinkCount: number;
  meanLiveness: number | null;
  timeline: SecondSummary[];
  msPerFrame: number;
}

const mean = (v: number[]) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : null);

/** Counts blinks in an eye-state sequence: open → closed (≥ 1 frame) → open. */
export function countBlinks(openSequence: ReadonlyArray<boolean | null>): number[] {
  const blinkEnds: number[] = [];
  let seenOpen = false;
  let closed = false;
  openSequence.forEach((open, i) => {
    if (open === null) return;
    if (open) {
      if (closed && seenOpen) blinkEnds.push(i);
      seenOpen = true;
      closed = false;
    } else if (seenOpen) closed = true;
  });
  return blinkEnds;
}

/**
 * One frame, analysed offline (the engine waits for its embedding: the same video gives the same timeline).
 * A frame lost in an engine restart is tried once more when the engine is back; a frame the engine cannot
 * analyse (or a second loss) is skipped and counted, so `analyze` always finishes.
 */
export async function analyzeInOrder(engine: EngineService, frame: Frame): Promise<FrameAnalysis | null> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      return await engine.analyzeFrame(frame, { offline: true });
    } catch (error) {
      if (!(error instanceof AppFailure) || error.code !== 'UNAVAILABLE') return null;
      // the engine restarted under us: wait until it is back (rejects if it gave up: then the video fails)
      await engine.whenReady();
    }
  }
  return null;
}

export async function analyzeVideo(engine: EngineService, path: string, options: { maxFrames?: number; maxWidth?: number } = {}): Promise<VideoAnalysis> {
  const { stream, close } = openVideo(path, options.maxWidth ?? 640);
  const results: Array<{ time: number; r: FrameAnalysis }> = [];
  let fps = 30, width = 0, height = 0;
  const started = performance.now();
  const streamId = 'file';
  let skipped = 0;
  try {
    for await (const frame of readY4m(stream, options.maxFrames)) {
      fps = frame.fps;
      width = frame.width;
      height = frame.height;
      const capturedAt = frame.time * 1000;
      const result = await analyzeInOrder(engine, { streamId, width: frame.width, height: frame.height, capturedAt, rgba: frame.rgba });
      if (!result) {
        skipped++;
        continue;
      }
      results.push({ time: frame.time, r: result });
    }
  } finally {
    close();
  }
  const eyeSeq = results.map(({ r }) => (r.primary?.eyes ? r.primary.eyes.open : null));
  const blinkEnds = countBlinks(eyeSeq);
  const seconds = Math.max(1, Math.ceil(results.length / fps));
  const timeline: SecondSummary[] = [];
  for (let s = 0; s < seconds; s++) {
    const inSecond = results.map((x, i) => ({ ...x, i })).filter((x) => Math.floor(x.time) === s);
    const faces = inSecond.filter((x) => x.r.primary);
    const issues = new Set<string>();
    for (const x of faces) for (const issue of x.r.primary!.quality?.issues ?? []) issues.add(issue);
    timeline.push({
      second: s,
      frames: inSecond.length,
      framesWithFace: faces.length,
      maxFaces: Math.max(0, ...inSecond.map((x) => x.r.faceCount)),
      liveness: mean(faces.map((x) => x.r.primary!.liveness ?? 0)),
      eyesOpenFraction: mean(faces.map((x) => (x.r.primary!.eyes?.open ? 1 : 0))),
      yaw: mean(faces.map((x) => x.r.primary!.pose?.yaw ?? 0)),
      pitch: mean(faces.map((x) => x.r.primary!.pose?.pitch ?? 0)),
      roll: mean(faces.map((x) => x.r.primary!.pose?.roll ?? 0)),
      mouthOpeningMax: faces.length ? Math.max(...faces.map((x) => x.r.primary!.mouthOpening ?? 0)) : null,
      qualityOkFraction: mean(faces.map((x) => (x.r.primary!.quality?.ok ? 1 : 0))),
      issues: [...issues].sort(),
      blinks: blinkEnds.filter((i) => inSecond.some((x) => x.i === i)).length,
      embeddings: inSecond.filter((x) => x.r.embedding).length,
    });
  }
  const elapsed = performance.now() - started;
  return {
    file: path,
    frames: results.length,
    skippedFrames: skipped,
    fps,
    width,
    height,
    durationSeconds: results.length / fps,
    blinkCount: blinkEnds.length,
    meanLiveness: mean(results.filter((x) => x.r.primary).map((x) => x.r.primary!.liveness ?? 0)),
    timeline,
    msPerFrame: results.length ? elapsed / results.length : 0,
  };
}
