/**
 * `npm run bench:peer [-- --json] [--frames 2000] [--video FILE.y4m] [--warmup 50] [--cache-only]`
 *
 * Peer benchmark: runs @vladmandic/human (tfjs WASM backend, 1 thread, face detection + face mesh only) on the
 * same 640×480 test video as bench:engine, looped, and reports frames/s. Two runs in one process:
 *  1. Human's defaults for its frame-to-frame caching (cacheSensitivity, face.detector.skipFrames, skipTime) —
 *     what a user gets: the face detector re-runs only every skipFrames frames / skipTime ms, the mesh every frame;
 *  2. caching off (cacheSensitivity 0, skipFrames 0, skipTime 0): full detection + mesh on every frame
 *     (skipped with --cache-only).
 * Frame tensors are built before the timed loop; Human's own preprocessing (cast, expand, cache diff) is timed.
 * Runs offline: see human-loader.ts. With --json, stdout carries exactly one JSON line (a PeerResult).
 */
import { createReadStream } from 'node:fs';
import os from 'node:os';
import { basename, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readY4m } from '../../src/main/engine/video';
import { loadHuman, type HumanInstance, type HumanTensor } from './human-loader';
import type { PeerResult, PeerRun } from './run-peer';
import { percentile, round2 } from '../stats';

const args = process.argv.slice(2);
const json = args.includes('--json');
const cacheOnly = args.includes('--cache-only');
const opt = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const videoPath = resolve(opt('--video', resolve(repo, '../shared/testdata/faces/video/live_blink_talk_640x480.y4m')));
const frameCount = Number(opt('--frames', '2000'));
const warmup = Number(opt('--warmup', '50'));
if (!Number.isInteger(frameCount) || frameCount < 1) throw new Error(`--frames must be a positive integer, got ${opt('--frames', '')}`);
if (!Number.isInteger(warmup) || warmup < 0) throw new Error(`--warmup must be a non-negative integer, got ${opt('--warmup', '')}`);

// With --json nothing but the result may reach stdout: route every console line (Human's included) to stderr.
if (json) {
  console.log = console.error;
  console.info = console.error;
  console.debug = console.error;
  console.warn = console.error;
}
const log = (line: string) => {
  if (!json) console.log(line);
};

const pct = percentile;
const round = round2;
const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

/** Decodes the frames the run loops over (no more than it will use) into int32 RGB [h, w, 3] tensors. */
async function loadFrames(human: HumanInstance): Promise<{ tensors: HumanTensor[]; width: number; height: number; fps: number }> {
  const tensors: HumanTensor[] = [];
  let width = 0, height = 0, fps = 0;
  for await (const f of readY4m(createReadStream(videoPath), warmup + frameCount)) {
    ({ width, height, fps } = f);
    const rgb = new Int32Array(f.width * f.height * 3);
    const rgba = f.rgba;
    for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) {
      rgb[i] = rgba[j]!;
      rgb[i + 1] = rgba[j + 1]!;
      rgb[i + 2] = rgba[j + 2]!;
    }
    tensors.push(human.tf.tensor3d(rgb, [f.height, f.width, 3], 'int32'));
  }
  if (tensors.length === 0) throw new Error(`${videoPath}: no frames`);
  return { tensors, width, height, fps };
}

async function run(human: HumanInstance, tensors: HumanTensor[], overrides?: Record<string, unknown>): Promise<PeerRun> {
  const detect = (i: number) => human.detect(tensors[i % tensors.length]!, overrides);
  const hasFace = (r: Awaited<ReturnType<typeof detect>>) => r.face.some((f) => f.mesh.length > 0);
  for (let i = 0; i < warmup; i++) {
    const r = await detect(i);
    if (r.error) throw new Error(`Human.detect failed: ${r.error}`);
  }
  const cachedBefore = human.performance.cachedFrames ?? 0;
  const tensorsBefore = human.tf.memory().numTensors;
  const times: number[] = [];
  let withFace = 0;
  let meshPoints = 0;
  const started = performance.now();
  for (let i = 0; i < frameCount; i++) {
    const t0 = performance.now();
    const r = await detect(warmup + i);
    times.push(performance.now() - t0);
    if (r.error) throw new Error(`Human.detect failed on frame ${i}: ${r.error}`);
    if (hasFace(r)) {
      withFace++;
      meshPoints = r.face[0]!.mesh.length;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    frames: frameCount,
    framesWithFace: withFace,
    meshPoints,
    seconds: round(seconds),
    fps: round(frameCount / seconds),
    msPerFrame: { median: round(pct(times, 0.5)), p95: round(pct(times, 0.95)) },
    skipAllowedFrames: (human.performance.cachedFrames ?? 0) - cachedBefore,
    tensorLeak: human.tf.memory().numTensors - tensorsBefore,
  };
}

async function main(): Promise<void> {
  const loadStarted = performance.now();
  const peer = await loadHuman({ threads: 1 });
  const { human } = peer;
  const loadSeconds = (performance.now() - loadStarted) / 1000;
  const config = {
    skipFrames: human.config.face.detector.skipFrames,
    skipTime: human.config.face.detector.skipTime,
    cacheSensitivity: human.config.cacheSensitivity,
  };
  const frames = await loadFrames(human);
  const cpus = os.cpus();
  const load = os.loadavg()[0]!;
  log(`bench:peer — @vladmandic/human ${peer.versions.human} on ${basename(videoPath)} (${frames.tensors.length} frames ${frames.width}×${frames.height} decoded, looped), ${frameCount} frames per run after ${warmup} warm-up`);
  log(`machine: ${cpus.length} × ${cpus[0]?.model ?? 'cpu'}, load average at start ${load.toFixed(2)}, node ${process.version}`);
  log(`backend: tfjs ${human.tf.getBackend()} (tfjs-core ${peer.versions.tfjsCore}, tfjs-converter ${peer.versions.tfjsConverter}, tfjs-backend-wasm ${peer.versions.tfjsBackendWasm}), threads ${peer.threads}, SIMD ${peer.simd ? 'yes' : 'no'}, multithreaded ${peer.multithread ? 'yes' : 'no'} → ${peer.wasmBinary}`);
  log(`models: blazeface + facemesh from ${peer.modelsDir} (read with fs, ${round(loadSeconds)} s to start); iris, emotion, description, antispoof, liveness, attention, body, hand, object, gesture, segmentation off`);
  log(`input: int32 RGB tensors [${frames.height}, ${frames.width}, 3] built before the timed loop; Human's own preprocessing is timed`);

  const cached = await run(human, frames.tensors);
  const rssCached = process.memoryUsage().rss;
  log(`\nHuman's caching defaults — ON: cacheSensitivity ${config.cacheSensitivity}, face.detector.skipFrames ${config.skipFrames}, face.detector.skipTime ${config.skipTime} ms (detector re-runs at most every ${config.skipFrames} frames / ${config.skipTime} ms while frames stay similar; mesh every frame)`);
  printRun(cached);

  let noCache: PeerRun | undefined;
  if (!cacheOnly) {
    noCache = await run(human, frames.tensors, { cacheSensitivity: 0, face: { detector: { skipFrames: 0, skipTime: 0 } } });
    log(`\ncaching OFF: cacheSensitivity 0, skipFrames 0, skipTime 0 (full detection + mesh on every frame)`);
    printRun(noCache);
  }
  const rssMb = mb(Math.max(rssCached, process.memoryUsage().rss));
  const frameTensorsMb = mb(frames.tensors.length * frames.width * frames.height * 3 * 4);
  log(`\nRSS ${rssMb} MB (includes ${frameTensorsMb} MB of int32 frame tensors)`);

  for (const r of [cached, noCache]) {
    if (r && r.framesWithFace === 0) throw new Error(`Human found no face with a mesh in ${r.frames} frames of ${videoPath}: not a benchmark`);
  }
  if (json) {
    const result: PeerResult = {
      peer: 'human',
      version: peer.versions.human,
      backend: human.tf.getBackend(),
      threads: peer.threads,
      simd: peer.simd,
      multithread: peer.multithread,
      wasmBinary: peer.wasmBinary,
      tfjs: { core: peer.versions.tfjsCore, converter: peer.versions.tfjsConverter, backendWasm: peer.versions.tfjsBackendWasm },
      node: process.version,
      cpuModel: cpus[0]?.model ?? 'cpu',
      cpus: cpus.length,
      loadAverageAtStart: load,
      video: videoPath,
      warmup,
      frames: cached.frames,
      framesWithFace: cached.framesWithFace,
      seconds: cached.seconds,
      fps: cached.fps,
      msPerFrame: cached.msPerFrame,
      rssMb,
      frameTensorsMb,
      config,
      cached,
      ...(noCache ? { fpsNoCache: noCache.fps, noCache } : {}),
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  }
}

function printRun(r: PeerRun): void {
  log(`  ${r.fps} frames/s over ${r.seconds} s; per frame median ${r.msPerFrame.median} ms, p95 ${r.msPerFrame.p95} ms`);
  log(`  ${r.framesWithFace}/${r.frames} frames with a face and a ${r.meshPoints}-point mesh; Human allowed cache reuse on ${r.skipAllowedFrames}/${r.frames} frames; tensor leak ${r.tensorLeak}`);
}

try {
  await main();
} catch (error) {
  console.error(`bench:peer failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
}
