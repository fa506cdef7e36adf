import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { devices, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { REPO_ROOT, startHost, type RunningHost } from './host';
import { createServerToken, startServer, type RunningServer, type ServerConfig } from './server';

const run = promisify(execFile);

export interface CallStack {
  server: RunningServer;
  host: RunningHost;
  token: string;
  /** A self-service channel's token (reference photos), created with the others before the server starts. */
  channelToken: string;
  stop(): Promise<void>;
}

/** A real backend (signaling, join page) and a headless workstation host that holds its token. */
export async function startCallStack(config: ServerConfig & { hostDataDir?: string; hostEnv?: Record<string, string> } = {}): Promise<CallStack> {
  const dataDir = config.dataDir ?? (await mkdtemp(join(tmpdir(), 'veridesk-server-')));
  const token = await createServerToken({ ...config, dataDir }, `ws-${Date.now().toString(36)}`);
  // PGlite is one process's database: every token is created before the server opens it
  const channelToken = await createServerToken({ ...config, dataDir }, `ch-${Date.now().toString(36)}`, 'channel');
  const server = await startServer({ ...config, dataDir });
  const host = await startWorkstationHost(server.url, token, config.hostDataDir, config.hostEnv);
  const stack: CallStack = {
    server,
    host,
    token,
    channelToken,
    // the current members: a test may restart the server or replace the host (crash tests), and those must stop
    // too — stopping the originals left the replacements running after the suite
    stop: async () => {
      const results = await Promise.allSettled([stack.host.stop()]);
      results.push(...(await Promise.allSettled([stack.server.stop()])));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
  return stack;
}

/** Starts the workstation host pointed at `backendUrl` (its settings file) with the backend token in its environment. */
export async function startWorkstationHost(backendUrl: string, token: string, dataDir?: string, env: Record<string, string> = {}): Promise<RunningHost> {
  const dir = dataDir ?? (await mkdtemp(join(tmpdir(), 'veridesk-host-')));
  writeFileSync(join(dir, 'settings.json'), JSON.stringify({ backendUrl }));
  return startHost({ dataDir: dir, env: { ...env, VERIDESK_SYNC_TOKEN: token } });
}

/** Opens the workstation UI and waits until it talks to main. */
export async function openWorkstation(browser: Browser, url: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.goto(url);
  await page.waitForSelector('[data-testid="status-connection"]');
  return page;
}

/** Presses 开始视频 and returns the join link the agent would send. */
export async function startCall(page: Page): Promise<string> {
  await page.click('[data-testid="nav-workspace"]');
  await page.click('[data-testid="call-start"]');
  const link = page.locator('[data-testid="join-link"]');
  await link.waitFor({ timeout: 20_000 });
  await expectPoll(async () => (await link.inputValue()).includes('/join/'), 20_000, 'join link shown');
  return link.inputValue();
}

/** A phone-sized browser context for the customer (Playwright's Pixel 7 emulation: touch, mobile UA, 412×915). */
export function customerContext(browser: Browser): Promise<BrowserContext> {
  const { defaultBrowserType: _ignored, ...phone } = devices['Pixel 7']!;
  return browser.newContext({ ...phone, permissions: ['camera', 'microphone'] });
}

/** Opens the join link and answers both consent questions as a customer would. */
export async function joinAsCustomer(context: BrowserContext, joinUrl: string, options: { recording?: boolean } = {}): Promise<{ page: Page; joinPressedAt: number }> {
  const page = await context.newPage();
  await page.goto(joinUrl);
  await page.click('[data-testid="consent-camera-accept"]');
  const joinPressedAt = Date.now();
  await page.click(options.recording === false ? '[data-testid="consent-recording-decline"]' : '[data-testid="consent-recording-accept"]');
  return { page, joinPressedAt };
}

export const callState = (page: Page) => page.locator('[data-testid="call-state"]').getAttribute('data-state');
export const joinState = (page: Page) => page.locator('[data-testid="join-state"]').getAttribute('data-state');

/** Resolves when `check` turns true; fails with `what` after `timeoutMs`. */
/** Polls `check` until true; on timeout the error says what was awaited and, with `explain`, what was seen instead. */
export async function expectPoll(check: () => Promise<boolean>, timeoutMs: number, what: string, explain?: () => Promise<string>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      /* element not there yet */
    }
    if (Date.now() > deadline) {
      const seen = explain ? await explain().catch((error: unknown) => `(explaining failed: ${String(error)})`) : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}${seen ? ` — ${seen}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

export { videoPixels } from './pixels';

export interface RecordingRow {
  recordingId: string;
  caseId: string;
  track: 'customer' | 'agent';
  state: string;
  chunks: number;
  bytes: number;
}

/** Lists a workstation's recordings through the CLI (as a reviewer would). */
export async function listRecordings(dataDir: string): Promise<RecordingRow[]> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/main/cli/index.ts', 'recordings', 'list', '--db', join(dataDir, 'cases.db'), '--json'], { cwd: REPO_ROOT });
  return JSON.parse(stdout) as RecordingRow[];
}

/** Decrypts one recording to a WebM file and returns ffprobe's view of it. */
export async function probeRecording(dataDir: string, recordingId: string): Promise<{ file: string; durationS: number; streams: string[]; decodedFrames: number }> {
  const file = join(await mkdtemp(join(tmpdir(), 'veridesk-rec-')), `${recordingId}.webm`);
  await run(process.execPath, ['--import', 'tsx', 'src/main/cli/index.ts', 'recordings', 'export', recordingId, '--db', join(dataDir, 'cases.db'), '--out', file], { cwd: REPO_ROOT });
  // Decode every frame (not just the header): a recording that is only partly valid fails here.
  const { stdout } = await run('ffprobe', ['-v', 'error', '-count_frames', '-show_entries', 'stream=codec_type,nb_read_frames:format=duration', '-of', 'json', file]);
  const probe = JSON.parse(stdout) as { streams: Array<{ codec_type: string; nb_read_frames?: string }>; format: { duration?: string } };
  const video = probe.streams.find((s) => s.codec_type === 'video');
  // MediaRecorder files have no duration until finalized; a crashed one is measured by its decoded frames.
  const { stdout: last } = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', file]);
  const times = last.split('\n').map(Number).filter((n) => Number.isFinite(n) && n > 0);
  const durationS = Number(probe.format.duration ?? NaN) || Math.max(0, ...times);
  return { file, durationS, streams: probe.streams.map((s) => s.codec_type), decodedFrames: Number(video?.nb_read_frames ?? 0) };
}
