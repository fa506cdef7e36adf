/**
 * Frame-path throughput, renderer → main, through the headless host in Chromium.
 *   camera:     the app's own frame tap on a fake 640×480 30 fps camera (real pixels, real UI)
 *   saturation: the page pushes pre-encoded 640×480 RGBA frames as fast as the socket drains
 * Each scenario runs with the face engine off (the transport alone) and on (main also analyses frames).
 * Prints frames/s and bytes/s as measured by main. Usage: npm run bench:frames [-- --seconds 10 --json]
 */
import { parseArgs } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import WebSocket from 'ws';
import type { StreamStats } from '../../src/shared/contract';
import { launchChromium } from '../../tests/e2e/support/browser';
import { startHost, type RunningHost } from '../../tests/e2e/support/host';
import { testdata } from '../../tests/support/testdata';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '10' }, json: { type: 'boolean', default: false } } });
const seconds = Number(values.seconds);

/** Samples main's per-stream statistics once a second over its own WebSocket. */
async function sampleStreams(host: RunningHost, streamId: string, durationS: number): Promise<StreamStats[]> {
  const socket = new WebSocket(host.origin.replace(/^http/, 'ws') + '/ws', ['veridesk.v1', `k.${host.secret}`]);
  await new Promise((resolve) => socket.once('open', resolve));
  const samples: StreamStats[] = [];
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as { kind: string; event?: string; payload?: StreamStats[] };
    const stream = message.event === 'diagnostics.streams' ? message.payload?.find((s) => s.streamId === streamId) : undefined;
    if (stream) samples.push(stream);
  });
  await new Promise((resolve) => setTimeout(resolve, durationS * 1000));
  socket.close();
  return samples.slice(1); // the first window may be partial
}

const median = (numbers: number[]) => {
  const sorted = [...numbers].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)]! : 0;
};
const summarise = (samples: StreamStats[]) => ({
  samples: samples.length,
  fpsMedian: median(samples.map((s) => s.fps)),
  bytesPerSecondMedian: median(samples.map((s) => s.bytesPerSecond)),
  size: samples.length ? `${samples.at(-1)!.width}x${samples.at(-1)!.height}` : 'n/a',
});

/** Runs in the page: sends one pre-encoded 640×480 frame over and over while the socket keeps up. */
function pushFrames(page: Page, durationMs: number): Promise<void> {
  return page.evaluate((ms) => {
    // the page keeps the host's launch secret from the printed URL (src/renderer/src/transport/api.ts)
    const socket = new WebSocket(`ws://${location.host}/ws`, ['veridesk.v1', `k.${sessionStorage.getItem('veridesk.hostSecret') ?? ''}`]);
    const frame = new ArrayBuffer(48 + 640 * 480 * 4);
    const view = new DataView(frame);
    view.setUint32(0, 0x31464456, true);
    view.setUint16(4, 1, true);
    view.setUint16(6, 1, true);
    view.setUint16(8, 640, true);
    view.setUint16(10, 480, true);
    new Uint8Array(frame, 24, 5).set(new TextEncoder().encode('bench'));
    new Uint8Array(frame, 48).fill(128);
    socket.onopen = () => {
      const end = performance.now() + ms;
      const pump = () => {
        while (socket.bufferedAmount < 4 * frame.byteLength) {
          view.setFloat64(16, Date.now(), true);
          socket.send(frame);
        }
        if (performance.now() < end) setTimeout(pump, 0);
        else socket.close();
      };
      pump();
    };
  }, durationMs);
}

async function measure(browser: Browser, engine: boolean) {
  const host = await startHost({ args: engine ? [] : ['--no-engine'] });
  const page = await browser.newPage();
  try {
    page.on('pageerror', (error) => console.error('page error:', error.message));
    // tsx compiles with keepNames; functions serialised into the page call its __name helper
    await page.addInitScript('globalThis.__name = (fn) => fn');
    await page.goto(host.url);
    if (engine) await page.waitForFunction(() => /CPU|GPU|DML|CUDA|COREML/.test(document.querySelector('[data-testid="status-provider"]')?.textContent ?? ''), null, { timeout: 60_000 });
    await page.click('[data-testid="camera-toggle"]');
    await page.waitForSelector('[data-testid="fps-agent"]', { timeout: 30_000 });
    const camera = summarise(await sampleStreams(host, 'agent', seconds));
    await page.click('[data-testid="camera-toggle"]');
    await pushFrames(page, seconds * 1000);
    const saturation = summarise(await sampleStreams(host, 'bench', seconds));
    return { camera, saturation };
  } finally {
    await page.close();
    await host.stop();
  }
}

const browser = await launchChromium({ fakeCamera: testdata('faces/video/live_blink_talk_640x480.y4m') });
try {
  const result = { seconds, engineOff: await measure(browser, false), engineOn: await measure(browser, true) };
  console.log(`frame path, renderer → main over the host WebSocket (${seconds} s each, medians of 1-s windows)`);
  for (const [engine, runs] of [['engine off', result.engineOff] as const, ['engine on', result.engineOn] as const]) {
    for (const [name, s] of Object.entries(runs)) {
      console.log(`  ${engine.padEnd(10)} ${name.padEnd(10)} ${s.size}  ${s.fpsMedian.toFixed(1)} frames/s  ${(s.bytesPerSecondMedian / 1e6).toFixed(1)} MB/s`);
    }
  }
  if (values.json) console.log(JSON.stringify(result));
} finally {
  await browser.close();
}
