/**
 * `npm run bench:engine [-- --json] [--frames 10000] [--video FILE.y4m]`
 *
 * Drives the real EngineService (worker thread, latest-frame mailbox) with 640×480 frames of a test video,
 * looped, for 1 and 2 intra-op threads in the same run. Each frame is submitted as soon as the previous
 * result arrives, so the rate measured is the sustained throughput of the every-frame path (detection,
 * landmarks, liveness, eyes, pose, quality) with embeddings on quality-gated key frames at the engine's
 * bounded rate (capture times are wall-clock, so the key-frame limit is real time). Reports median/p95 per stage,
 * frames/s, embeddings/s, the embedding stage's capacity, and RSS before/after.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import type { FrameAnalysis } from '../src/shared/engine';
import { silentLogger } from '../src/main/log/logger';
import { EngineService } from '../src/main/engine/service';
import { DEFAULT_CONFIG } from '../src/main/engine/config';
import { readY4m } from '../src/main/engine/video';

const args = process.argv.slice(2);
const json = args.includes('--json');
const opt = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const videoPath = resolve(opt('--video', resolve(repo, '../shared/testdata/faces/video/live_blink_talk_640x480.y4m')));
const frameCount = Number(opt('--frames', '10000'));
const warmup = 100;
const log = (line: string) => {
  if (!json) console.log(line);
};

const pct = (values: number[], p: number) => {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
};
const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

async function run(threads: number, frames: Array<{ width: number; height: number; rgba: Uint8Array }>) {
  const engine = new EngineService({ logger: silentLogger, intraOpThreads: threads });
  await engine.start();
  const stages: Record<string, number[]> = {};
  let embeddings = 0;
  let faces = 0;
  const next = (i: number) =>
    new Promise<FrameAnalysis>((done) => {
      const f = frames[i % frames.length]!;
      const off = engine.onAnalysis((r) => {
        off();
        done(r);
      });
      engine.submitFrame({ streamId: 'bench', width: f.width, height: f.height, capturedAt: Date.now(), rgba: f.rgba });
    });
  for (let i = 0; i < warmup; i++) await next(i);
  const rssBefore = process.memoryUsage().rss;
  const started = performance.now();
  let rssMid = 0;
  for (let i = 0; i < frameCount; i++) {
    const r = await next(i);
    if (r.primary) faces++;
    if (r.embedding) embeddings++;
    for (const [k, v] of Object.entries(r.timingsMs)) (stages[k] ??= []).push(v);
    if (i === Math.floor(frameCount / 2)) rssMid = process.memoryUsage().rss;
  }
  const seconds = (performance.now() - started) / 1000;
  const rssAfter = process.memoryUsage().rss;
  const provider = engine.status().provider;
  await engine.stop();
  const perStage = Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, { median: round(pct(v, 0.5)), p95: round(pct(v, 0.95)), n: v.length }]));
  const embedMedian = pct(stages.embedding ?? [], 0.5);
  return {
    threads,
    provider,
    frames: frameCount,
    framesWithFace: faces,
    seconds: round(seconds),
    trackingFps: round(frameCount / seconds),
    embeddings,
    embeddingsPerSecond: round(embeddings / seconds),
    embeddingCapacityPerSecond: embedMedian > 0 ? round(1000 / embedMedian) : null,
    rssBeforeMb: mb(rssBefore),
    rssMidMb: mb(rssMid),
    rssAfterMb: mb(rssAfter),
    rssGrowthMb: mb(rssAfter - rssBefore),
    stagesMs: perStage,
  };
}

const round = (v: number) => Math.round(v * 100) / 100;

async function main(): Promise<void> {
  const frames: Array<{ width: number; height: number; rgba: Uint8Array }> = [];
  for await (const f of readY4m(Readable.from([readFileSync(videoPath)]))) frames.push({ width: f.width, height: f.height, rgba: f.rgba });
  const load = os.loadavg()[0]!;
  log(`bench:engine — ${videoPath.split('/').slice(-1)[0]} (${frames.length} frames ${frames[0]!.width}×${frames[0]!.height}, looped), ${frameCount} frames per run after ${warmup} warm-up`);
  log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, load average at start ${load.toFixed(2)}, node ${process.version}`);
  const runs = [];
  for (const threads of [1, 2]) {
    const r = await run(threads, frames);
    runs.push(r);
    log(`\nintra-op threads ${threads} (provider ${r.provider}): ${r.trackingFps} frames/s sustained over ${r.seconds} s (${r.framesWithFace}/${r.frames} with a face)`);
    log(`  embeddings: ${r.embeddings} = ${r.embeddingsPerSecond}/s at the ${DEFAULT_CONFIG.maxEmbeddingsPerSecond}/s key-frame limit; embedding stage capacity ≈ ${r.embeddingCapacityPerSecond}/s`);
    log(`  RSS ${r.rssBeforeMb} MB → ${r.rssMidMb} MB (half) → ${r.rssAfterMb} MB: growth ${r.rssGrowthMb} MB over ${r.frames} frames`);
    log('  stage        median    p95  (ms)');
    for (const [k, v] of Object.entries(r.stagesMs)) log(`  ${k.padEnd(11)} ${v.median.toFixed(2).padStart(7)} ${v.p95.toFixed(2).padStart(7)}`);
  }
  const first = runs[0]!;
  const summary = {
    video: videoPath,
    loadAverageAtStart: load,
    cpus: os.cpus().length,
    trackingFps: first.trackingFps,
    embeddingsPerSecond: first.embeddingsPerSecond,
    embeddingCapacityPerSecond: first.embeddingCapacityPerSecond,
    rssGrowthMb: first.rssGrowthMb,
    runs,
  };
  if (json) console.log(JSON.stringify(summary));
}

await main();
