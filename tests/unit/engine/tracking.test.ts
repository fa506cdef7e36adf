/**
 * Tracking hand-over on real video frames with the real models (in-process FramePipeline): a tracked box means
 * the same as a detected one, a face that leaves and re-enters becomes a new track, a second face walking in is
 * counted without stealing the session, and every result says how old each field is.
 * Variants (blank frames, a second face pasted in) are made at test time with sharp; nothing is copied.
 */
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FrameAnalysis } from '../../../src/shared/engine';
import { DEFAULT_CONFIG } from '../../../src/main/engine/config';
import { iou } from '../../../src/main/engine/geometry';
import { defaultModelsDir, ENGINE_MODELS, modelsPresent } from '../../../src/main/engine/manifest';
import { detect } from '../../../src/main/engine/models/detector';
import { createSessions, type ModelSessions } from '../../../src/main/engine/models/sessions';
import { FramePipeline, type FrameInput } from '../../../src/main/engine/tracking/frame-pipeline';
import { boxFromLandmarks, checkTrack, predictBox, relationOf } from '../../../src/main/engine/tracking/track';
import { videoFrames, type RgbaFrame } from './support/video-frames';

const testdata = resolve(import.meta.dirname, '../../../../shared/testdata');
const modelsDir = defaultModelsDir();
const haveModels = modelsPresent(modelsDir);
if (!haveModels) console.warn('tracking tests with models skipped: run `npm run models`');

type Raw = RgbaFrame;


/** The frame with another person's face (a photo, downscaled) pasted into its top-left corner. */
async function withSecondFace(frame: Raw, face: Buffer): Promise<Raw> {
  const small = await sharp(face).resize({ height: 150 }).png().toBuffer();
  const data = await sharp(frame.rgba, { raw: { width: frame.width, height: frame.height, channels: 4 } })
    .composite([{ input: small, left: 10, top: 10 }])
    .raw()
    .toBuffer();
  return { ...frame, rgba: new Uint8Array(data) };
}

const blank = (w: number, h: number): Raw => ({ width: w, height: h, rgba: new Uint8Array(w * h * 4).fill(90) });

describe('box tracking geometry', () => {
  it('turns landmarks back into the detector-style box they were measured against', () => {
    const lm: Array<[number, number]> = [];
    for (let i = 0; i < 68; i++) lm.push([100 + (i % 10) * 10, 120 + Math.floor(i / 10) * 12]);
    const detected = { x: 90, y: 80, width: 120, height: 140 };
    const rel = relationOf(detected, lm);
    const moved = lm.map(([x, y]) => [x + 15, y - 5] as [number, number]);
    const box = boxFromLandmarks(moved, rel);
    expect(box.x).toBeCloseTo(105, 6);
    expect(box.y).toBeCloseTo(75, 6);
    expect(box.width).toBeCloseTo(120, 6);
    expect(box.height).toBeCloseTo(140, 6);
  });

  it('predicts half of the last motion and drops a track that jumps, shrinks or leaves', () => {
    expect(predictBox({ x: 20, y: 10, width: 50, height: 50 }, { x: 10, y: 10, width: 50, height: 50 })).toMatchObject({ x: 25, y: 10 });
    const p5: Array<[number, number]> = [[120, 150], [170, 150], [145, 180], [125, 200], [165, 200]];
    const box = { x: 100, y: 100, width: 100, height: 120 };
    expect(checkTrack(box, box, p5, 640, 480)).toEqual({ ok: true });
    expect(checkTrack(box, { ...box, x: 300 }, p5, 640, 480).reason).toBe('moved');
    expect(checkTrack(box, { ...box, width: 10, height: 10 }, p5, 640, 480).reason).toBe('too_small');
    expect(checkTrack(box, { ...box, x: 700 }, p5, 640, 480).reason).toBe('outside');
    const squashed: Array<[number, number]> = [[140, 150], [142, 150], [145, 180], [125, 200], [165, 200]];
    expect(checkTrack(box, box, squashed, 640, 480).reason).toBe('implausible');
  });
});

describe.skipIf(!haveModels)('tracking pipeline on real video frames', () => {
  let sessions: ModelSessions;
  let frames: Raw[];
  beforeAll(async () => {
    sessions = await createSessions({ modelsDir, models: ENGINE_MODELS.filter((m) => m !== 'fr_feature') });
    frames = await videoFrames(45);
  });
  afterAll(async () => {
    await sessions?.release();
  });

  const input = (streamId: string, f: Raw, capturedAt: number, embeddingAllowed = false): FrameInput => ({
    streamId,
    width: f.width,
    height: f.height,
    capturedAt,
    pixels: f.rgba,
    droppedFrames: 0,
    embeddingAllowed,
    offline: false,
  });

  it('detects every 5th frame, tracks between, and a tracked box agrees with a fresh detection', async () => {
    const pipeline = new FramePipeline(sessions.run, DEFAULT_CONFIG);
    const results: FrameAnalysis[] = [];
    for (let i = 0; i < 30; i++) results.push((await pipeline.analyze(input('call-t1', frames[i]!, i * 33))).result);
    expect(results.every((r) => r.primary)).toBe(true);
    const detected = results.filter((r) => r.source === 'detected').length;
    expect(detected).toBeGreaterThanOrEqual(6);
    expect(detected).toBeLessThanOrEqual(8);
    expect(results.filter((r) => r.source === 'tracked').length).toBeGreaterThanOrEqual(22);
    for (const [i, r] of results.entries()) {
      if (r.source !== 'tracked') continue;
      expect(r.timingsMs.detect).toBeUndefined();
      const [fresh] = await detect(sessions.run, { width: 640, height: 480, channels: 4, data: frames[i]!.rgba }, DEFAULT_CONFIG);
      expect(iou(fresh!.box, r.primary!.box)).toBeGreaterThan(0.6);
      expect(r.ages.detection).toBeGreaterThan(0);
      expect(r.ages.detection).toBeLessThan(DEFAULT_CONFIG.detectMaxAgeMs);
    }
    // the slower networks ran on their schedule, never together with a detection after the first frame
    const liveness = results.filter((r) => r.timingsMs.liveness !== undefined).length;
    expect(liveness).toBeGreaterThanOrEqual(3);
    expect(liveness).toBeLessThanOrEqual(8);
    expect(results.slice(1).some((r) => r.timingsMs.detect !== undefined && (r.timingsMs.liveness !== undefined || r.timingsMs.poseModel !== undefined))).toBe(false);
    expect(results.every((r) => r.ages.liveness !== null && r.ages.liveness <= DEFAULT_CONFIG.livenessIntervalMs + 100)).toBe(true);
    expect(results.every((r) => r.ages.landmarks === 0 && r.primary!.eyes && r.primary!.pose && r.primary!.quality)).toBe(true);
  });

  it('a face that leaves and re-enters: no face while gone, then a new track with fresh liveness', async () => {
    const pipeline = new FramePipeline(sessions.run, DEFAULT_CONFIG);
    let t = 0;
    for (let i = 0; i < 8; i++) await pipeline.analyze(input('call-t2', frames[i]!, (t += 33)));
    const firstTrack = pipeline.trackId('call-t2');
    expect(firstTrack).not.toBeNull();
    const gone: FrameAnalysis[] = [];
    for (let i = 0; i < 8; i++) gone.push((await pipeline.analyze(input('call-t2', blank(640, 480), (t += 33)))).result);
    // the landmark model answers even on a wall: the track must still be dropped within one detection period
    const firstEmpty = gone.findIndex((r) => r.faceCount === 0);
    expect(firstEmpty).toBeGreaterThanOrEqual(0);
    expect(firstEmpty).toBeLessThan(DEFAULT_CONFIG.detectEveryFrames);
    expect(gone.slice(firstEmpty).every((r) => r.primary === null && r.source === 'none')).toBe(true);
    const back = (await pipeline.analyze(input('call-t2', frames[20]!, t + 33))).result;
    expect(back.source).toBe('detected');
    expect(back.primary).not.toBeNull();
    expect(back.ages.liveness).toBe(0);
    expect(pipeline.trackId('call-t2')).not.toBe(firstTrack);
  });

  it('a second face appearing is counted within one detection period and does not take over the session', async () => {
    const pipeline = new FramePipeline(sessions.run, DEFAULT_CONFIG);
    const other = await sharp(join(testdata, 'faces/identities/joe_biden/02.jpg')).toBuffer();
    let t = 0;
    for (let i = 0; i < 6; i++) await pipeline.analyze(input('call-t3', frames[i]!, (t += 33)));
    const track = pipeline.trackId('call-t3');
    const before = (await pipeline.analyze(input('call-t3', frames[6]!, (t += 33)))).result;
    expect(before.faceCount).toBe(1);
    const after: FrameAnalysis[] = [];
    for (let i = 7; i < 7 + DEFAULT_CONFIG.detectEveryFrames; i++) after.push((await pipeline.analyze(input('call-t3', await withSecondFace(frames[i]!, other), (t += 33)))).result);
    expect(after.at(-1)!.faceCount).toBe(2);
    expect(after.at(-1)!.others).toHaveLength(1);
    expect(after.at(-1)!.others[0]!.x).toBeLessThan(200);
    expect(pipeline.trackId('call-t3')).toBe(track);
    expect(after.every((r) => r.primary && r.primary.box.x > 150)).toBe(true);
  });

  it('offers a key frame only when pacing allows and quality passes, with the aligned crop', async () => {
    const pipeline = new FramePipeline(sessions.run, DEFAULT_CONFIG);
    const denied = await pipeline.analyze(input('call-t4', frames[0]!, 0, false));
    expect(denied.keyFrame).toBeNull();
    expect(denied.result.keyFrame).toBe(false);
    const allowed = await pipeline.analyze(input('call-t4', frames[1]!, 33, true));
    expect(allowed.result.keyFrame).toBe(allowed.result.primary!.quality!.ok);
    if (allowed.keyFrame) {
      expect(allowed.keyFrame.aligned).toHaveLength(112 * 112 * 3);
      expect(allowed.keyFrame.score).toBeGreaterThan(0);
      expect(allowed.keyFrame.trackId).toBe(pipeline.trackId('call-t4'));
    }
  });

  it('forgets a released stream', async () => {
    const pipeline = new FramePipeline(sessions.run, DEFAULT_CONFIG);
    await pipeline.analyze(input('call-t5', frames[0]!, 0));
    pipeline.release('call-t5');
    expect(pipeline.trackedStreams()).toEqual([]);
  });
});
