/**
 * The real models on real photos and a real video, through the engine process (as the app uses it).
 * Skips only when models/ has not been fetched (`npm run models`; CI fetches them first).
 */
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineStatus } from '../../../src/shared/contract';
import type { FrameAnalysis } from '../../../src/shared/engine';
import { AppFailure } from '../../../src/shared/errors';
import { silentLogger } from '../../../src/main/log/logger';
import { decodeImage } from '../../../src/main/engine/decode';
import { DEFAULT_CONFIG } from '../../../src/main/engine/config';
import { defaultModelsDir, modelsPresent } from '../../../src/main/engine/manifest';
import { EngineService } from '../../../src/main/engine/service';
import { analyzeVideo } from '../../../src/main/engine/timeline';
import { videoFrames } from './support/video-frames';

const repo = resolve(import.meta.dirname, '../../..');
const testdata = resolve(repo, '../shared/testdata');
const modelsDir = defaultModelsDir();
const haveModels = modelsPresent(modelsDir);
if (!haveModels) console.warn(`engine integration tests skipped: models missing in ${modelsDir} — run \`npm run models\``);

const photo = (p: string) => readFileSync(join(testdata, p));


describe.skipIf(!haveModels)('face engine on real photos (engine process)', () => {
  const engine = new EngineService({ logger: silentLogger, modelsDir, restartDelayMs: 50 });
  const statuses: EngineStatus[] = [];
  engine.onStatus((s) => statuses.push(s));

  beforeAll(async () => {
    await engine.start();
  });
  afterAll(async () => {
    await engine.stop();
  });

  it('reports ready with an execution provider, the engine\'s own pid and the providers it probed', () => {
    expect(engine.status()).toMatchObject({ state: 'ready', provider: 'cpu' });
    expect([...new Set(statuses.map((s) => s.state))]).toEqual(['starting', 'ready']);
    const { pid, probes } = engine.status();
    expect(pid).toBeTypeOf('number');
    expect(pid).not.toBe(process.pid);
    expect(probes).toContainEqual(expect.objectContaining({ provider: 'cpu', used: true }));
  });

  it('scores the same person above different people', async () => {
    const same = await engine.compare(photo('faces/identities/barack_obama/01.jpg'), photo('faces/identities/barack_obama/04.jpg'));
    const diff = await engine.compare(photo('faces/identities/barack_obama/01.jpg'), photo('faces/identities/joe_biden/02.jpg'));
    const diff2 = await engine.compare(photo('faces/identities/kit_harington/02.jpg'), photo('faces/identities/rose_leslie/01.jpg'));
    expect(same.status).toBe('ok');
    expect(same.comparison!.similarity).toBeGreaterThan(diff.comparison!.similarity + 0.2);
    expect(same.comparison!.similarity).toBeGreaterThan(diff2.comparison!.similarity + 0.2);
    expect(same.comparison!.band).toBe('match');
    expect(diff.comparison!.band).toBe('mismatch');
    expect(same.comparison!.calibration.modelSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('finds the small portrait on an ID document and matches nobody else', async () => {
    const doc = await engine.analyzeImage(photo('documents/100_pass-chn.jpg'));
    expect(doc.faces.length).toBeGreaterThanOrEqual(1);
    const face = doc.faces[doc.best]!;
    // the portrait sits in the left third of the data page
    expect(face.box.x + face.box.width / 2).toBeLessThan(doc.width / 3);
    expect(doc.embedding).toHaveLength(512);
  });

  it('scores a known spoof less live than a real capture', async () => {
    const real = await engine.analyzeImage(photo('spoof/real/sfas_image_T1_2020-06-17.jpg'));
    const fake = await engine.analyzeImage(photo('spoof/fake/sfas_image_F1_2020-06-16.jpg'));
    expect(real.faces[real.best]!.liveness!).toBeGreaterThan(fake.faces[fake.best]!.liveness! + 0.3);
  });

  it('reads eye state and pose', async () => {
    const open = await engine.analyzeImage(photo('faces/open-eyes/lp-d13_f0019.jpg'));
    const closed = await engine.analyzeImage(photo('faces/closed-eyes/lp-d13_f0044.jpg'));
    expect(open.faces[open.best]!.eyes!.open).toBe(true);
    expect(closed.faces[closed.best]!.eyes!.open).toBe(false);
    const profile = await engine.analyzeImage(photo('faces/pose/ham_t1.90s.jpg'));
    expect(Math.abs(profile.faces[profile.best]!.pose!.yaw)).toBeGreaterThan(40);
  });

  it('gives structured errors for bad input and keeps serving', async () => {
    for (const bad of [new Uint8Array(0), Buffer.from('not an image'), photo('faces/identities/joe_biden/01.jpg').subarray(0, 3000)]) {
      const error = await engine.analyzeImage(bad).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(AppFailure);
      expect((error as AppFailure).code).toBe('CORRUPT_INPUT');
    }
    const ok = await engine.analyzeImage(photo('faces/identities/rose_leslie/01.jpg'));
    expect(ok.faces.length).toBe(1);
  });

  it('keeps only the latest frame per stream while busy, and embeds only on gated key frames', async () => {
    const img = await decodeImage(photo('faces/video/still-photo-attack_source.jpg'), DEFAULT_CONFIG);
    const rgba = new Uint8Array(img.width * img.height * 4);
    for (let i = 0, j = 0; i < img.data.length; i += 3, j += 4) rgba.set([img.data[i]!, img.data[i + 1]!, img.data[i + 2]!, 255], j);
    const results: FrameAnalysis[] = [];
    const off = engine.onAnalysis((r) => results.push(r));
    const t0 = 1_000_000;
    for (let i = 0; i < 10; i++) engine.submitFrame({ streamId: 'customer', width: img.width, height: img.height, capturedAt: t0 + i * 10, rgba });
    expect(engine.mailboxSize()).toBeLessThanOrEqual(1);
    await new Promise<void>((done) => {
      const check = setInterval(() => {
        if (engine.mailboxSize() === 0 && results.length > 0 && results.at(-1)!.capturedAt === t0 + 90) {
          clearInterval(check);
          done();
        }
      }, 20);
    });
    off();
    expect(results.length).toBeLessThan(10);
    expect(results.reduce((n, r) => n + r.droppedFrames, 0) + results.length).toBe(10);
    expect(results[0]!.faceCount).toBe(1);
    expect(results[0]!.timingsMs.detect).toBeGreaterThan(0);
    // 10 frames within 90 ms: at most one key frame at 10 embeddings/s
    expect(results.filter((r) => r.embedding).length).toBeLessThanOrEqual(1);
  });

  it('survives process.abort() in the engine mid-stream: main alive, engine back under a new pid, results flowing again', async () => {
    const frames = await videoFrames(40);
    const seen: EngineStatus[] = [];
    const offStatus = engine.onStatus((s) => seen.push(s));
    const results: FrameAnalysis[] = [];
    const offAnalysis = engine.onAnalysis((r) => results.push(r));
    const pidBefore = engine.status().pid;
    let i = 0;
    // a 30 frames/s customer stream that keeps coming while the engine dies and comes back
    const feeder = setInterval(() => {
      const f = frames[i++ % frames.length]!;
      engine.submitFrame({ streamId: 'call-abort000000000', width: f.width, height: f.height, capturedAt: Date.now(), rgba: f.rgba });
    }, 33);
    try {
      await expect.poll(() => results.length, { timeout: 20_000 }).toBeGreaterThan(5);
      engine.abortEngineForTest();
      await expect.poll(() => seen.some((s) => s.state === 'restarting'), { timeout: 20_000 }).toBe(true);
      const restarting = seen.find((s) => s.state === 'restarting')!;
      expect(restarting.message).toMatch(/SIGABRT/);
      await expect.poll(() => engine.status().state, { timeout: 60_000 }).toBe('ready');
      const countAtReady = results.length;
      await expect.poll(() => results.length, { timeout: 20_000 }).toBeGreaterThan(countAtReady + 5);
    } finally {
      clearInterval(feeder);
      offStatus();
      offAnalysis();
    }
    expect(engine.status().pid).not.toBe(pidBefore);
    expect(engine.status().restarts).toBeGreaterThanOrEqual(1);
    // this process (main) is alive and the new engine serves stills too
    const after = await engine.analyzeImage(photo('faces/identities/kit_harington/02.jpg'));
    expect(after.faces.length).toBeGreaterThanOrEqual(1);
  });

  it('analyze of a video finishes after a forced engine restart instead of hanging', async () => {
    let aborted = false;
    const off = engine.onAnalysis((r) => {
      if (!aborted && r.streamId === 'file' && r.capturedAt > 300) {
        aborted = true;
        engine.abortEngineForTest();
      }
    });
    try {
      const report = await analyzeVideo(engine, join(testdata, 'faces/video/live_blink_talk_640x480.y4m'), { maxFrames: 30 });
      expect(aborted).toBe(true);
      expect(report.frames + report.skippedFrames).toBe(30);
      expect(report.frames).toBeGreaterThanOrEqual(29);
      expect(report.timeline[0]!.framesWithFace).toBeGreaterThan(0);
    } finally {
      off();
    }
  });
});

describe.skipIf(!haveModels)('missing or corrupt models', () => {
  const copyWithout = (broken: 'missing' | 'corrupt') => {
    const dir = mkdtempSync(join(tmpdir(), 'veridesk-models-'));
    for (const f of readdirSync(modelsDir)) if (f.endsWith('.json') || f.endsWith('.onnx')) copyFileSync(join(modelsDir, f), join(dir, f));
    if (broken === 'missing') writeFileSync(join(dir, 'fr_feature.onnx.gone'), '');
    const target = join(dir, 'fr_feature.onnx');
    if (broken === 'corrupt') writeFileSync(target, 'garbage');
    else copyFileSync(join(modelsDir, 'manifest.json'), join(dir, 'manifest.json'));
    return { dir, target };
  };

  it.each(['missing', 'corrupt'] as const)('a %s model fails with the file name and the fix', async (kind) => {
    const { dir } = copyWithout(kind);
    if (kind === 'missing') {
      const { rmSync } = await import('node:fs');
      rmSync(join(dir, 'fr_feature.onnx'));
    }
    const engine = new EngineService({ logger: silentLogger, modelsDir: dir, maxConsecutiveFailures: 1, restartDelayMs: 10 });
    const states: string[] = [];
    engine.onStatus((s) => states.push(s.state));
    const error = await engine.start().then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(/fr_feature\.onnx/);
    expect(error?.message).toMatch(/npm run models/);
    expect(states).toContain('restarting');
    expect(engine.status()).toMatchObject({ state: 'failed' });
    await engine.stop();
  });
});
