/**
 * Replay benchmark (issue 11 item 2): how fast a recording plays on the case page when main decrypts it on the
 * fly. A 10-minute WebM is made by concatenating the shared test video with ffmpeg (one minute encoded, then
 * stream-copied ten times), written by the real RecordingService in 1-second chunks and stopped (seekable). Then:
 *
 *   - range reads in Node (openPlaintextRange): 64 KiB at random offsets, and the whole file streamed;
 *   - the headless host's media route in Chromium: time from setting <video>.src to the first decoded frame
 *     (requestVideoFrameCallback), to loadedmetadata, and from a seek to the middle to its first frame, with the
 *     bytes the route decrypted and sent for each.
 *
 *   npx tsx bench/replay.ts [--minutes 10] [--runs 3]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { StaticKeyProvider } from '../src/main/caselog/key-provider';
import { CaseStore } from '../src/main/caselog/store';
import { buildHost } from '../src/main/host/host-server';
import { silentLogger } from '../src/main/log/logger';
import { RecordingService } from '../src/main/recording/recording-service';
import { MediaTokens } from '../src/main/review/media-token';
import { RecordingMedia, type MediaReply, type MediaRequest } from '../src/main/review/recording-media';
import { openPlaintextRange } from '../src/main/review/recording-range';
import { EventBus } from '../src/main/rpc/event-bus';
import { seededRandom } from '../src/common/seeded-random';

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '10' }, runs: { type: 'string', default: '3' } } });
const MINUTES = Math.max(1, Number(values.minutes));
const RUNS = Math.max(1, Number(values.runs));
const SOURCE = resolve(import.meta.dirname, '../../shared/testdata/faces/video/live_blink_talk.mp4');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const work = mkdtempSync(join(tmpdir(), 'vd-bench-replay-'));
const ms = (from: number) => performance.now() - from;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.95))]!;
const fmt = (v: number) => v.toFixed(1);

/** The page the browser runs (CSP: script-src 'self', so it is a file the host serves). */
const PAGE_JS = `
const url = decodeURIComponent(location.hash.slice(1));
const v = document.createElement('video');
v.muted = true;
v.preload = 'auto';
document.body.append(v);
const frame = () => new Promise((r) => v.requestVideoFrameCallback(() => r(performance.now())));
const event = (name) => new Promise((r) => v.addEventListener(name, () => r(performance.now()), { once: true }));
(async () => {
  try {
    const t0 = performance.now();
    const meta = event('loadedmetadata');
    const first = frame();
    v.src = url;
    await v.play();
    const firstAt = await first;
    const metaAt = await meta;
    v.pause();
    const target = v.duration / 2;
    const t1 = performance.now();
    const seeked = event('seeked');
    const next = frame();
    v.currentTime = target;
    const seekedAt = await seeked;
    await v.play();
    const seekFrameAt = await next;
    window.result = { firstFrameMs: firstAt - t0, metadataMs: metaAt - t0, seekedMs: seekedAt - t1, seekFrameMs: seekFrameAt - t1, duration: v.duration, position: v.currentTime, target };
  } catch (e) {
    window.result = { error: String(e), code: v.error && v.error.code };
  }
})();
`;

async function main(): Promise<void> {
  // ---- the recording
  let t = performance.now();
  const minute = join(work, 'minute.webm');
  execFileSync('ffmpeg', ['-v', 'error', '-stream_loop', '-1', '-i', SOURCE, '-t', '60', '-vf', 'scale=320:320', '-c:v', 'libvpx', '-g', '30', '-b:v', '500k', '-deadline', 'realtime', '-cpu-used', '8', '-c:a', 'libopus', '-b:a', '32k', '-f', 'webm', '-live', '1', '-y', minute]);
  writeFileSync(join(work, 'list.txt'), Array.from({ length: MINUTES }, () => `file '${minute}'`).join('\n'));
  const long = join(work, 'long.webm');
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'concat', '-safe', '0', '-i', join(work, 'list.txt'), '-c', 'copy', '-f', 'webm', '-live', '1', '-y', long]);
  const webm = readFileSync(long);
  console.log(`test WebM: ${MINUTES} min, ${(webm.length / 1e6).toFixed(1)} MB (made in ${fmt(ms(t))} ms)`);

  const store = CaseStore.open({ path: join(work, 'cases.db'), keyProvider: new StaticKeyProvider(Buffer.alloc(32, 7)) });
  const recordings = new RecordingService({ store, log: silentLogger });
  const caseId = store.openCase({ agentId: 'bench', serviceType: 'transact' }).caseId;
  const { recordingId } = recordings.start({ caseId, callId: 'call-bench-replay', track: 'customer', mimeType: 'video/webm;codecs=vp8,opus', startedAt: Date.now(), actor: 'bench' });
  const chunkBytes = Math.ceil(webm.length / (MINUTES * 60));
  t = performance.now();
  let seq = 0;
  for (let at = 0; at < webm.length; at += chunkBytes) recordings.appendChunk(recordingId, seq++, webm.subarray(at, at + chunkBytes));
  const writeMs = ms(t);
  t = performance.now();
  await recordings.stop(recordingId);
  console.log(`written: ${seq} chunks of ${(chunkBytes / 1024).toFixed(0)} KiB in ${fmt(writeMs)} ms (${fmt(writeMs / seq)} ms/chunk, 2 fsyncs each); stop (seekable header) ${fmt(ms(t))} ms`);

  // ---- range reads in Node
  const source = recordings.playbackSource(recordingId);
  t = performance.now();
  const range = openPlaintextRange(source);
  const openMs = ms(t);
  const random = seededRandom(3);
  const reads: number[] = [];
  for (let i = 0; i < 50; i++) {
    const start = Math.floor(random() * (range.size - 65536));
    const r0 = performance.now();
    let n = 0;
    for (const piece of range.read(start, start + 65535)) n += piece.length;
    reads.push(ms(r0));
    if (n !== 65536) throw new Error(`short read: ${n}`);
  }
  t = performance.now();
  let total = 0;
  for (const piece of range.read(0, range.size - 1)) total += piece.length;
  const wholeMs = ms(t);
  range.close();
  console.log(`range reader: open ${fmt(openMs)} ms (index of ${source.chunks.length} chunks + seek header); 64 KiB at a random offset: median ${fmt(median(reads))} ms, p95 ${fmt(p95(reads))} ms; whole ${(total / 1e6).toFixed(1)} MB in ${fmt(wholeMs)} ms (${fmt(total / 1e6 / (wholeMs / 1000))} MB/s)`);

  // ---- the media route in Chromium
  const tokens = new MediaTokens();
  const inner = new RecordingMedia({ recordings, tokens, log: silentLogger });
  let served = 0;
  const counting = {
    async serve(request: MediaRequest): Promise<MediaReply> {
      const reply = await inner.serve(request);
      const body = reply.body;
      if (body) {
        reply.body = (async function* () {
          for await (const piece of body) {
            served += piece.length;
            yield piece;
          }
        })();
      }
      return reply;
    },
  } as RecordingMedia;
  const rendererDir = join(work, 'renderer');
  mkdirSync(rendererDir);
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>bench</title>');
  writeFileSync(join(rendererDir, 'bench.html'), '<!doctype html><meta charset="utf-8"><title>replay bench</title><body><script src="bench.js"></script></body>');
  writeFileSync(join(rendererDir, 'bench.js'), PAGE_JS);
  const host = await buildHost({ workstation: { bus: new EventBus(), dispatch: async () => ({ ok: true, value: null }), acceptFrame: () => false, media: counting, close: async () => {} }, rendererDir, log: silentLogger, secret: 'bench-secret-0123456789abcdef' });
  await host.listen({ port: 0, host: '127.0.0.1' });
  const address = host.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--autoplay-policy=no-user-gesture-required'] });
  try {
    const rows: { firstFrameMs: number; metadataMs: number; seekFrameMs: number; seekBytes: number }[] = [];
    for (let run = 0; run < RUNS; run++) {
      const { token } = tokens.mint(recordingId, 10 * 60_000);
      const page = await browser.newPage();
      served = 0;
      await page.goto(`http://127.0.0.1:${port}/bench.html#${encodeURIComponent(`/media/recordings/${recordingId}?t=${token}`)}`);
      const result = (await page.waitForFunction(() => (globalThis as unknown as { result?: unknown }).result, undefined, { timeout: 60_000 }).then((h) => h.jsonValue())) as Record<string, number | string>;
      if ('error' in result) throw new Error(`the browser could not play the recording: ${JSON.stringify(result)}`);
      rows.push({ firstFrameMs: Number(result.firstFrameMs), metadataMs: Number(result.metadataMs), seekFrameMs: Number(result.seekFrameMs), seekBytes: served });
      if (run === 0) console.log(`browser: duration ${Number(result.duration).toFixed(1)} s (seekable), seek to ${Number(result.target).toFixed(1)} s landed at ${Number(result.position).toFixed(2)} s`);
      await page.close();
    }
    for (const [i, r] of rows.entries()) {
      console.log(`run ${i + 1}: first decoded frame ${fmt(r.firstFrameMs)} ms (metadata ${fmt(r.metadataMs)} ms); seek to the middle → frame ${fmt(r.seekFrameMs)} ms; ${(r.seekBytes / 1e6).toFixed(2)} MB decrypted and sent in all`);
    }
    console.log(`time to first frame (${MINUTES}-min recording, ${RUNS} runs): median ${fmt(median(rows.map((r) => r.firstFrameMs)))} ms; seek to the middle → frame: median ${fmt(median(rows.map((r) => r.seekFrameMs)))} ms`);
  } finally {
    await browser.close();
    await host.close();
    store.close();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
