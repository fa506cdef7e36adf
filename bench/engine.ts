/**
 * `npm run bench:engine [-- --json] [--frames 10000] [--video FILE.y4m] [--threads 1,2] [--load 1]
 *                        [--provider cpu|webgpu|cuda|dml|coreml] [--no-peer] [--peer-frames 2000]`
 *
 * Drives the real EngineService (engine process, scheduler, tracking pipeline, embedding thread) with the
 * 640×480 frames of a test video, looped. Each frame is submitted as soon as the previous result arrives, so
 * the rate is the sustained throughput of the every-frame path; embeddings run beside it in their own thread
 * at the key-frame pacing (capture times are wall-clock, so the pacing is real time).
 *
 * Runs, in one invocation on one machine: each intra-op thread setting, each without and (with --load N)
 * with N other processes burning a core each; then the peer, @vladmandic/human (tfjs WASM, 1 thread,
 * detection + mesh), on the same frames in its own process. Speed targets are ratios against that peer.
 * Prints per stage median/p95 and how often each stage ran, embeddings/s, and the engine process's RSS.
 */
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { silentLogger } from '../src/main/log/logger';
import { EngineService } from '../src/main/engine/service';
import { DEFAULT_CONFIG } from '../src/main/engine/config';
import type { ProviderName } from '../src/main/engine/providers';
import { readY4m } from '../src/main/engine/video';
import { startBusyLoad } from './load';
import { runPeerInChild } from './peer/run-peer';
import { percentile, round2 } from './stats';

const args = process.argv.slice(2);
const json = args.includes('--json');
const opt = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const videoPath = resolve(opt('--video', resolve(repo, '../shared/testdata/faces/video/live_blink_talk_640x480.y4m')));
const frameCount = Number(opt('--frames', '10000'));
const threadSettings = opt('--threads', '1,2').split(',').map(Number);
const loadCores = Number(opt('--load', '0'));
const provider = args.includes('--provider') ? (opt('--provider', 'cpu') as ProviderName) : undefined;
const withPeer = !args.includes('--no-peer');
const peerFrames = Number(opt('--peer-frames', String(Math.min(frameCount, 2000))));
const warmup = 100;
const log = (line: string) => {
  if (!json) console.log(line);
};

const pct = percentile;
const round = round2;

/** RSS of the engine process (it is not this process any more). */
function processRssMb(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
    return Number.isFinite(kb) ? round(kb / 1024) : null;
  } catch {
    try {
      return round(Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' }).trim()) / 1024);
    } catch {
      return null;
    }
  }
}

type Frames = Array<{ width: number; height: number; rgba: Uint8Array }>;

async function run(threads: number, load: number, frames: Frames) {
  const engine = new EngineService({ logger: silentLogger, intraOpThreads: threads, providers: provider ? [provider] : undefined });
  await engine.start();
  const status = engine.status();
  const stages: Record<string, number[]> = {};
  let embeddings = 0;
  let faces = 0;
  let keyFrames = 0;
  let tracked = 0;
  const next = (i: number) => {
    const f = frames[i % frames.length]!;
    return engine.analyzeFrame({ streamId: 'call-bench', width: f.width, height: f.height, capturedAt: Date.now(), rgba: f.rgba });
  };
  for (let i = 0; i < warmup; i++) await next(i);
  const burner = load > 0 ? startBusyLoad(load) : null;
  try {
    // let the burners spin up before the clock starts
    if (burner) {
      await burner.ready;
      await new Promise((r) => setTimeout(r, 300));
    }
    const rssBefore = processRssMb(status.pid);
    let rssMid: number | null = null;
    const started = performance.now();
    for (let i = 0; i < frameCount; i++) {
      const r = await next(i);
      if (r.primary) faces++;
      if (r.embedding) embeddings++;
      if (r.keyFrame) keyFrames++;
      if (r.source === 'tracked') tracked++;
      for (const [k, v] of Object.entries(r.timingsMs)) (stages[k] ??= []).push(v);
      if (i === Math.floor(frameCount / 2)) rssMid = processRssMb(status.pid);
    }
    const seconds = (performance.now() - started) / 1000;
    const rssAfter = processRssMb(status.pid);
    const perStage = Object.fromEntries(
      Object.entries(stages).map(([k, v]) => [k, { median: round(pct(v, 0.5)), p95: round(pct(v, 0.95)), n: v.length, perSecond: round(v.length / seconds) }]),
    );
    const embedMedian = pct(stages.embedding ?? [], 0.5);
    // the every-frame path's own rate inside the engine process (no process boundary, no scheduling): what an
    // in-process SDK such as the peer is measured as
    const pipelineMs = (stages.total ?? []).reduce((a, b) => a + b, 0);
    return {
      threads,
      load,
      provider: status.provider,
      probes: status.probes ?? [],
      frames: frameCount,
      framesWithFace: faces,
      trackedFrames: tracked,
      seconds: round(seconds),
      trackingFps: round(frameCount / seconds),
      pipelineFps: pipelineMs > 0 ? round((1000 * frameCount) / pipelineMs) : null,
      keyFrames,
      embeddings,
      embeddingsPerSecond: round(embeddings / seconds),
      embeddingCapacityPerSecond: embedMedian > 0 ? round(1000 / embedMedian) : null,
      rssBeforeMb: rssBefore,
      rssMidMb: rssMid,
      rssAfterMb: rssAfter,
      rssGrowthMb: rssBefore !== null && rssAfter !== null ? round(rssAfter - rssBefore) : null,
      stagesMs: perStage,
    };
  } finally {
    await burner?.stop();
    await engine.stop();
  }
}

async function main(): Promise<void> {
  const frames: Frames = [];
  for await (const f of readY4m(Readable.from([readFileSync(videoPath)]))) frames.push({ width: f.width, height: f.height, rgba: f.rgba });
  const loadAverage = os.loadavg()[0]!;
  const cpu = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}`;
  log(`bench:engine — ${videoPath.split('/').slice(-1)[0]} (${frames.length} frames ${frames[0]!.width}×${frames[0]!.height}, looped), ${frameCount} frames per run after ${warmup} warm-up`);
  log(`machine: ${cpu}, load average at start ${loadAverage.toFixed(2)}, node ${process.version}`);
  const runs = [];
  for (const threads of threadSettings) {
    for (const load of loadCores > 0 ? [0, loadCores] : [0]) {
      const r = await run(threads, load, frames);
      runs.push(r);
      log(`\nintra-op threads ${threads}${load ? `, ${load} core(s) burnt by another process` : ''} (provider ${r.provider}): ${r.trackingFps} frames/s over ${r.seconds} s (${r.framesWithFace}/${r.frames} with a face, ${r.trackedFrames} tracked)`);
      log(`  every-frame path inside the engine process: mean ${round(1000 / (r.pipelineFps ?? Infinity))} ms = ${r.pipelineFps} frames/s (the rest is the process boundary and scheduling)`);
      log(`  embeddings: ${r.embeddings} = ${r.embeddingsPerSecond}/s beside the frame path (pacing ${DEFAULT_CONFIG.maxEmbeddingsPerSecond}/s, ${r.keyFrames} key frames); embedding capacity ≈ ${r.embeddingCapacityPerSecond}/s`);
      log(`  engine process RSS ${r.rssBeforeMb} MB → ${r.rssMidMb} MB (half) → ${r.rssAfterMb} MB: growth ${r.rssGrowthMb} MB over ${r.frames} frames`);
      log('  stage        median    p95   ran/s  (ms)');
      for (const [k, v] of Object.entries(r.stagesMs)) log(`  ${k.padEnd(11)} ${v.median.toFixed(2).padStart(7)} ${v.p95.toFixed(2).padStart(7)} ${v.perSecond.toFixed(1).padStart(7)}`);
    }
  }
  const probes = runs[0]?.probes ?? [];
  log(`\nproviders probed: ${probes.map((p) => `${p.provider} ${p.used ? 'used' : 'not used'} (${p.reason})`).join('; ') || 'none reported'}`);
  let peer: Awaited<ReturnType<typeof runPeerInChild>> | null = null;
  if (withPeer) {
    peer = await runPeerInChild({ frames: peerFrames, video: videoPath });
    log(`\npeer ${peer.peer} ${peer.version} (${peer.backend}${peer.simd ? ' SIMD' : ''}, ${peer.threads} thread, detection + mesh only), ${peer.frames} frames (${peer.framesWithFace} with a face):`);
    log(`  with its own frame-to-frame caching (defaults: skipFrames ${peer.config.skipFrames}, skipTime ${peer.config.skipTime} ms, cacheSensitivity ${peer.config.cacheSensitivity}): ${peer.fps} frames/s, p95 ${peer.msPerFrame.p95} ms`);
    if (peer.noCache) log(`  caching off (full detection + mesh every frame): ${peer.noCache.fps} frames/s, p95 ${peer.noCache.msPerFrame.p95} ms`);
    for (const r of runs) {
      const vsNoCache = peer.noCache ? `, ${round(r.trackingFps / peer.noCache.fps)}× uncached` : '';
      const inEngine = r.pipelineFps ? ` (every-frame path inside the engine: ${round(r.pipelineFps / peer.fps)}× with caching)` : '';
      log(`  engine threads ${r.threads}${r.load ? ` with ${r.load} core burnt` : ''}: ${round(r.trackingFps / peer.fps)}× the peer with caching${vsNoCache}${inEngine}`);
    }
  }
  const first = runs[0]!;
  const summary = {
    video: videoPath,
    cpu,
    loadAverageAtStart: loadAverage,
    cpus: os.cpus().length,
    trackingFps: first.trackingFps,
    embeddingsPerSecond: first.embeddingsPerSecond,
    embeddingCapacityPerSecond: first.embeddingCapacityPerSecond,
    rssGrowthMb: first.rssGrowthMb,
    peer,
    ratioToPeer: peer ? round(first.trackingFps / peer.fps) : null,
    ratioToPeerNoCache: peer?.noCache ? round(first.trackingFps / peer.noCache.fps) : null,
    runs,
  };
  if (json) console.log(JSON.stringify(summary));
}

await main();
