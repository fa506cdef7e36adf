import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testdata } from '../support/testdata';
import { measureY4m } from '../support/y4m';
import { launchChromium } from './support/browser';
import { REPO_ROOT, startHost, type RunningHost } from './support/host';
import { videoPixels } from './support/pixels';

const CAMERA_FILE = testdata('faces/video/live_blink_talk_640x480.y4m');
const SCREENSHOTS = join(REPO_ROOT, 'test-results/screenshots');

let host: RunningHost;
let browser: Browser;
let page: Page;

const wsUrl = () => host.origin.replace(/^http/, 'ws') + '/ws';
/** The subprotocols the workstation page offers: the protocol name and this launch's secret. */
const withSecret = () => ['veridesk.v1', `k.${host.secret}`];

/** Opens a raw WebSocket client to the host, outside the browser, to behave like a hostile program. */
function rawClient(): Promise<{ socket: WebSocket; next: () => Promise<unknown>; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(wsUrl(), withSecret());
    const inbox: unknown[] = [];
    const waiters: Array<(m: unknown) => void> = [];
    socket.on('message', (data, isBinary) => {
      if (isBinary) return;
      const message = JSON.parse(String(data)) as { kind: string };
      if (message.kind === 'event') return;
      const waiter = waiters.shift();
      if (waiter) waiter(message);
      else inbox.push(message);
    });
    const closed = new Promise<number>((done) => socket.on('close', (code) => done(code)));
    socket.on('open', () =>
      resolve({
        socket,
        closed,
        next: () => (inbox.length ? Promise.resolve(inbox.shift()) : new Promise((done) => waiters.push(done))),
      }),
    );
    socket.on('error', reject);
  });
}

const previewPixels = videoPixels;

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const dataDir = await mkdtemp(join(tmpdir(), 'veridesk-e2e-'));
  execFileSync(process.execPath, ['--import', 'tsx', 'src/main/cli/index.ts', 'cases', 'seed', '--db', join(dataDir, 'cases.db'), '--count', '40'], { cwd: REPO_ROOT });
  host = await startHost({ dataDir });
  browser = await launchChromium({ fakeCamera: CAMERA_FILE });
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(host.url);
});

afterAll(async () => {
  await browser?.close();
  await host?.stop();
});

describe('VeriDesk workstation in Chromium through the headless host', () => {
  it('loads the UI in Simplified Chinese by default', async () => {
    await expect.poll(() => page.locator('[data-testid="status-connection"]').textContent()).toContain('已连接');
    expect(await page.locator('[data-testid="nav-workspace"]').textContent()).toBe('工作台');
    expect(await page.locator('[data-testid="nav-cases"]').textContent()).toBe('案件记录');
    expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN');
    expect(await page.locator('[data-testid="status-agent"]').textContent()).toContain('agent-001');
  });

  it('starts the face engine and shows its execution provider', async () => {
    await expect.poll(() => page.locator('[data-testid="status-provider"]').textContent(), { timeout: 60_000 }).toMatch(/推理: (CPU|WEBGPU|CUDA|DML|COREML)/);
  });

  it('shows the fake camera file in the agent preview (pixels, not just a <video>)', async () => {
    await page.click('[data-testid="camera-toggle"]');
    await expect.poll(() => page.locator('[data-testid="status-camera"]').textContent()).toContain('工作中');
    await page.waitForFunction(() => (document.querySelector<HTMLVideoElement>('[data-testid="agent-preview"]')?.videoWidth ?? 0) > 0);
    const expected = await measureY4m(CAMERA_FILE);
    const pixels = await previewPixels(page, 'agent-preview');
    expect([pixels.width, pixels.height]).toEqual([expected.width, expected.height]);
    // The file is a 480×480 face centred between 80-px black bars.
    expect(Math.max(...pixels.leftBar)).toBeLessThan(20);
    expect(Math.max(...pixels.centre)).toBeGreaterThan(60);
    for (let c = 0; c < 3; c++) {
      const values = expected.frameMeans.map((m) => m[c]!);
      expect(pixels.whole[c]).toBeGreaterThan(Math.min(...values) - 12);
      expect(pixels.whole[c]).toBeLessThan(Math.max(...values) + 12);
    }
    await page.screenshot({ path: join(SCREENSHOTS, 'workspace-zh.png') });
  });

  it('sends frames to main: the UI shows a non-zero fps and the mean colour main measured', async () => {
    const fps = page.locator('[data-testid="fps-agent"]');
    await expect.poll(async () => Number(await fps.textContent()), { timeout: 15_000 }).toBeGreaterThan(5);
    const rgb = (await page.locator('[data-testid="mean-agent"]').getAttribute('data-rgb'))!.split(',').map(Number);
    const expected = await measureY4m(CAMERA_FILE);
    for (let c = 0; c < 3; c++) {
      const values = expected.frameMeans.map((m) => m[c]!);
      expect(rgb[c]).toBeGreaterThan(Math.min(...values) - 12);
      expect(rgb[c]).toBeLessThan(Math.max(...values) + 12);
    }
    expect(await page.locator('[data-testid="stream-agent"]').textContent()).toContain('640×480');
  });

  it('survives a native crash of the engine process (SIGABRT): 重启中, then CPU under a new pid, frames keep flowing', async () => {
    const state = page.locator('[data-testid="engine-state"]');
    await expect.poll(() => state.getAttribute('data-pid'), { timeout: 60_000 }).toMatch(/^\d+$/);
    const pid = Number(await state.getAttribute('data-pid'));
    // the engine is its own OS process, not the host: killing it the way a native fault does
    expect(pid).not.toBe(host.process.pid);
    process.kill(pid, 'SIGABRT');
    await expect.poll(() => state.getAttribute('data-state'), { timeout: 15_000 }).toBe('restarting');
    expect(await state.getAttribute('title')).toMatch(/第 1 次[\s\S]*SIGABRT/);
    await expect.poll(() => page.locator('[data-testid="notice"]').allTextContents(), { timeout: 15_000 }).toContain('分析引擎已重新启动。×');
    await expect.poll(() => state.getAttribute('data-state'), { timeout: 60_000 }).toBe('ready');
    expect(Number(await state.getAttribute('data-pid'))).not.toBe(pid);
    expect(await page.locator('[data-testid="status-provider"]').textContent()).toMatch(/推理: CPU/);
    await expect.poll(async () => Number(await page.locator('[data-testid="fps-agent"]').textContent()), { timeout: 15_000 }).toBeGreaterThan(5);
    expect(host.process.exitCode).toBeNull();
  });

  it('refuses hostile clients with error codes and keeps serving the others', async () => {
    const hostile = await rawClient();
    hostile.socket.send(JSON.stringify({ id: 1, method: 'settings.drop', params: {} }));
    expect(await hostile.next()).toMatchObject({ kind: 'response', id: 1, result: { ok: false, error: { code: 'UNKNOWN_METHOD' } } });
    hostile.socket.send(JSON.stringify({ id: 2, method: 'settings.update', params: { analysisWidth: 'wide' } }));
    expect(await hostile.next()).toMatchObject({ kind: 'response', id: 2, result: { ok: false, error: { code: 'INVALID_PAYLOAD' } } });
    hostile.socket.send('{not json');
    expect(await hostile.next()).toMatchObject({ kind: 'error', error: { code: 'MALFORMED_MESSAGE' } });
    hostile.socket.send(Buffer.alloc(1000, 7));
    expect(await hostile.next()).toMatchObject({ kind: 'error', error: { code: 'MALFORMED_MESSAGE' } });
    hostile.socket.send(Buffer.alloc(50 * 1024 * 1024, 1));
    // The host closes that socket with 1009 "message too big"; when the client is still writing, the
    // close frame can be lost in the reset and the client sees 1006 (abnormal closure) instead.
    expect([1009, 1006]).toContain(await hostile.closed);

    const bystander = await rawClient();
    bystander.socket.send(JSON.stringify({ id: 7, method: 'settings.get', params: {} }));
    expect(await bystander.next()).toMatchObject({ kind: 'response', id: 7, result: { ok: true } });
    bystander.socket.close();

    const received = async () => Number((await page.locator('[data-testid="stream-agent"] td').nth(1).textContent()) ?? 0);
    await expect.poll(received, { timeout: 10_000 }).toBeGreaterThan(0);
    expect(host.process.exitCode).toBeNull();
  });

  it('shows whether the backend answers its health check', async () => {
    await expect.poll(() => page.locator('[data-testid="status-backend"]').textContent(), { timeout: 10_000 }).toContain('无法连接');
    const backend = createServer((request, response) => {
      response.statusCode = request.url === '/health' ? 200 : 404;
      response.end('{"ok":true}');
    });
    await new Promise<void>((done) => backend.listen(0, '127.0.0.1', () => done()));
    const backendUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
    const client = await rawClient();
    client.socket.send(JSON.stringify({ id: 1, method: 'settings.update', params: { backendUrl } }));
    expect(await client.next()).toMatchObject({ result: { ok: true } });
    await expect.poll(() => page.locator('[data-testid="status-backend"]').textContent(), { timeout: 10_000 }).toContain('已连接');
    client.socket.send(JSON.stringify({ id: 2, method: 'settings.update', params: { backendUrl: 'http://127.0.0.1:8787' } }));
    await client.next();
    client.socket.close();
    await new Promise((done) => backend.close(done));
  });

  it('refuses a WebSocket from a foreign web origin, even with the secret', async () => {
    const socket = new WebSocket(wsUrl(), withSecret(), { origin: 'https://evil.example' });
    const code = await new Promise<number>((resolve) => socket.on('close', (c) => resolve(c)));
    expect(code).toBe(1008);
  });

  it('refuses a client without the launch secret — a page on its origin or a local process that sends no Origin', async () => {
    for (const options of [{ origin: host.origin }, {}]) {
      const socket = new WebSocket(wsUrl(), ['veridesk.v1', 'k.wrong-secret-0000000000'], options);
      const code = await new Promise<number>((resolve) => socket.on('close', (c) => resolve(c)));
      expect(code).toBe(1008);
      const bare = new WebSocket(wsUrl(), options);
      expect(await new Promise<number>((resolve) => bare.on('close', (c) => resolve(c)))).toBe(1008);
    }
  });

  it('refuses a DNS-rebinding request: a foreign Host header gets 421, for the page and for the WebSocket', async () => {
    const port = new URL(host.origin).port;
    const page421 = await new Promise<number>((resolve, reject) => {
      // no keep-alive: an idle connection left open would hold the host's shutdown
      const req = request({ host: '127.0.0.1', port, path: '/', agent: false, headers: { host: `evil.example:${port}`, connection: 'close' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(page421).toBe(421);
    const socket = new WebSocket(wsUrl(), withSecret(), { headers: { host: `evil.example:${port}` }, origin: `http://evil.example:${port}` });
    const outcome = await new Promise<string>((resolve) => {
      socket.on('unexpected-response', (req, res) => {
        resolve(`http ${res.statusCode}`);
        req.destroy();
      });
      socket.on('open', () => resolve('open'));
      socket.on('error', () => resolve('error'));
    });
    expect(outcome).toBe('http 421');
    // the page itself, opened from the printed URL, keeps working (and the secret left its address bar)
    expect(await page.evaluate(() => location.hash)).toBe('');
  });

  it('switches the visible language to English and persists it in main', async () => {
    await page.click('[data-testid="nav-settings"]');
    await page.waitForSelector('[data-testid="page-settings"]');
    await page.screenshot({ path: join(SCREENSHOTS, 'settings-zh.png') });
    await page.selectOption('[data-testid="settings-language"]', 'en');
    await page.click('[data-testid="settings-save"]');
    await expect.poll(() => page.locator('[data-testid="nav-workspace"]').textContent()).toBe('Workspace');
    expect(await page.locator('[data-testid="nav-settings"]').textContent()).toBe('Settings');
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    await page.reload();
    await expect.poll(() => page.locator('[data-testid="nav-cases"]').textContent()).toBe('Case log');
    await page.click('[data-testid="nav-settings"]');
    await page.waitForFunction(() => (document.querySelector<HTMLVideoElement>('[data-testid="settings-preview"]')?.videoWidth ?? 0) > 0);
    const preview = await previewPixels(page, 'settings-preview');
    expect(Math.max(...preview.centre)).toBeGreaterThan(60);
    await page.screenshot({ path: join(SCREENSHOTS, 'settings-en.png') });
  });

  it('shows a clear message for an invalid setting and keeps the stored value', async () => {
    await page.fill('[data-testid="settings-backend"]', 'not a url');
    await page.click('[data-testid="settings-save"]');
    await expect.poll(() => page.locator('[data-testid="settings-message"]').textContent()).toContain('Invalid input');
    const check = await rawClient();
    check.socket.send(JSON.stringify({ id: 1, method: 'settings.get', params: {} }));
    expect(await check.next()).toMatchObject({ result: { ok: true, value: { backendUrl: 'http://127.0.0.1:8787', language: 'en' } } });
    check.socket.close();
  });

  it('applies a new analysis resolution to the frames main receives', async () => {
    await page.fill('[data-testid="settings-backend"]', 'http://127.0.0.1:8787');
    await page.selectOption('[data-testid="settings-width"]', '320');
    await page.click('[data-testid="settings-save"]');
    await expect.poll(() => page.locator('[data-testid="settings-message"]').textContent()).toBe('Saved');
    await page.click('[data-testid="nav-workspace"]');
    if ((await page.locator('[data-testid="status-camera"]').textContent())?.includes('Off')) await page.click('[data-testid="camera-toggle"]');
    await expect.poll(() => page.locator('[data-testid="stream-agent"]').textContent(), { timeout: 10_000 }).toContain('320×240');
    await page.click('[data-testid="nav-settings"]');
  });

  it('lists the local case log with filters, and shows the sync backlog', async () => {
    await page.click('[data-testid="nav-cases"]');
    const rows = page.locator('[data-testid="case-row"]');
    await expect.poll(() => rows.count()).toBe(40);
    await page.selectOption('[data-testid="cases-verdict"]', 'rejected');
    await expect.poll(() => rows.count()).toBeLessThan(40);
    const verdicts = await page.locator('[data-testid="case-row"] td:nth-child(6)').allTextContents();
    expect(new Set(verdicts)).toEqual(new Set(['Rejected']));
    await page.selectOption('[data-testid="cases-verdict"]', '');
    expect(await page.locator('[data-testid="status-sync"]').textContent()).toMatch(/not set up \(\d+ pending\)/);
    expect(await page.locator('[data-testid="cases-table"]').textContent()).not.toMatch(/\d{17}[\dX]/);
  });

  it('saves screenshots of each main view', async () => {
    await page.click('[data-testid="nav-cases"]');
    await page.waitForSelector('[data-testid="page-cases"]');
    await page.screenshot({ path: join(SCREENSHOTS, 'cases-en.png') });
    await page.click('[data-testid="nav-workspace"]');
    await page.waitForSelector('[data-testid="page-workspace"]');
    await page.screenshot({ path: join(SCREENSHOTS, 'workspace-en.png') });
    expect(await page.locator('[data-testid="page-workspace"] h2').first().textContent()).toBe('ID photo');
  });
});
