/**
 * Case detail and replay end to end (issue 11 item 1): a real call between two Chromium pages with fake cameras
 * (as tests/e2e/desk.e2e.test.ts makes them), recorded on both tracks, with checks, a challenge, a guidance push,
 * a 话术 step and a decision in its case log. Then the case page: both recordings load from main's media route (decrypted on
 * the fly), play from one timeline, and a click on a timeline mark seeks both videos there. Then the database file
 * is tampered with while the host is stopped: after a restart the same case shows the red chain banner.
 */
import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testdata } from '../support/testdata';
import { launchChromium } from './support/browser';
import { callState, customerContext, expectPoll, joinAsCustomer, openWorkstation, startCall, startCallStack, type CallStack } from './support/call';
import { REPO_ROOT, startHost } from './support/host';

const SCREENSHOTS = join(REPO_ROOT, 'test-results/screenshots');
const AGENT_CAMERA = testdata('faces/video/live_head_motion_640x480.y4m');
const LIVE = testdata('faces/video/live_blink_talk_640x480.y4m');
const work = mkdtempSync(join(tmpdir(), 'vd-replay-e2e-'));

let stack: CallStack;
let agentBrowser: Browser;
let agent: Page;
let caseId: string;

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  stack = await startCallStack({ hostEnv: { VERIDESK_TEST_CHALLENGE: '7:blink,open_mouth' } });
  agentBrowser = await launchChromium({ fakeCamera: AGENT_CAMERA });
  agent = await openWorkstation(agentBrowser, stack.host.url);
  // a render error unmounts the page: say what it was rather than only that an element went missing
  agent.on('pageerror', (error) => console.error(`workstation page error: ${error.message}`));
  await expectPoll(async () => /推理: CPU/.test((await agent.locator('[data-testid="status-provider"]').textContent()) ?? ''), 120_000, 'engine ready');
}, 240_000);

afterAll(async () => {
  await agentBrowser?.close();
  await stack?.stop();
  rmSync(work, { recursive: true, force: true });
});

const status = (id: string) => agent.locator(`[data-testid="check-${id}"]`).getAttribute('data-status');

/** Both videos' state, read in the page. */
function videos(page: Page) {
  return page.evaluate(() =>
    (['customer', 'agent'] as const).map((track) => {
      const v = document.querySelector<HTMLVideoElement>(`[data-testid="replay-video-${track}"]`);
      return v ? { track, readyState: v.readyState, duration: v.duration, currentTime: v.currentTime, paused: v.paused, offset: Number(v.dataset.offsetS), error: v.error?.code ?? null } : null;
    }),
  );
}

/** The app scrolls inside <main>, so a full-page shot needs a tall window (the page's own scroll at the top). */
async function screenshotWhole(page: Page, name: string): Promise<void> {
  const viewport = page.viewportSize();
  await page.setViewportSize({ width: viewport?.width ?? 1440, height: 2200 });
  await page.evaluate(() => document.querySelector('main')?.scrollTo(0, 0));
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(SCREENSHOTS, name) });
  if (viewport) await page.setViewportSize(viewport);
}

async function openCasePage(page: Page, id: string): Promise<void> {
  await page.click('[data-testid="nav-cases"]');
  await page.locator(`[data-testid="case-row"][data-case-id="${id}"]`).click();
  await page.locator('[data-testid="page-case"]').waitFor({ timeout: 15_000 });
}

describe('case detail and replay', () => {
  it('a recorded call becomes a case whose two recordings play in sync from one timeline, and a mark seeks both', async () => {
    // the genuine ID photo: the same person as the live video, from another moment of the source clip
    const idPhoto = join(work, 'id.jpg');
    execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-ss', '6.5', '-i', testdata('faces/video/live_blink_talk.mp4'), '-frames:v', '1', '-q:v', '2', idPhoto]);
    const customerBrowser = await launchChromium({ fakeCamera: LIVE });
    try {
      const joinUrl = await startCall(agent);
      const { page: customer } = await joinAsCustomer(await customerContext(customerBrowser), joinUrl, { recording: true });
      await expectPoll(async () => (await callState(agent)) === 'connected', 60_000, 'call connected');
      await expectPoll(async () => (await agent.locator('[data-testid="recording-state"]').getAttribute('data-state')) === 'recording', 30_000, 'recording started');
      await agent.locator('[data-testid="desk"]').waitFor({ timeout: 20_000 });
      await agent.setInputFiles('[data-testid="id-photo-input"]', idPhoto);
      await expectPoll(async () => ['pass', 'warn', 'fail'].includes((await status('face_match')) ?? ''), 90_000, 'face match settled');
      await agent.click('[data-testid="guidance-hold_still"]');
      await expectPoll(async () => (await customer.locator('[data-testid="guidance-text"]').getAttribute('data-key')) === 'hold_still', 15_000, 'guidance on the customer page', async () => {
        const last = agent.locator('[data-testid="guidance-last"]');
        const sent = (await last.count()) ? `agent sent ${await last.getAttribute('data-key')} (acked ${await last.getAttribute('data-acked')})` : 'agent shows no guidance sent';
        return `${sent}, call ${await callState(agent)}, customer page shows "${await customer.locator('[data-testid="guidance-text"]').getAttribute('data-key')}", state ${await customer.locator('[data-testid="join-state"]').getAttribute('data-state').catch(() => '?')}`;
      });
      // one step on in the 话术 panel: a script.step case event, a mark on the timeline
      const stepBefore = await agent.locator('[data-testid="script-panel"]').getAttribute('data-current');
      await agent.click('[data-testid="script-next"]');
      await expectPoll(async () => (await agent.locator('[data-testid="script-panel"]').getAttribute('data-current')) !== stepBefore, 5_000, `script moved on from ${stepBefore}`);
      await agent.click('[data-testid="challenge-start"]');
      await expectPoll(async () => ['pass', 'fail'].includes((await status('active_liveness')) ?? ''), 60_000, 'challenge finished');
      await expectPoll(async () => Number(await agent.locator('[data-testid="recording-state"]').getAttribute('data-customer-chunks')) >= 4, 30_000, 'customer chunks written');
      // the decision (fail, with a reason when it goes against the advice)
      await agent.click('[data-testid="decision-fail"]');
      if (await agent.locator('[data-testid="override-reason"]').isVisible().catch(() => false)) await agent.selectOption('[data-testid="override-reason"]', 'suspected_impostor');
      await agent.click('[data-testid="decision-confirm"]');
      await agent.locator('[data-testid="decision-made"]').waitFor({ timeout: 15_000 });
      await agent.waitForTimeout(1500);
      await agent.click('[data-testid="call-end"]');
      await expectPoll(async () => (await callState(agent)) === 'ended', 30_000, 'call ended');
    } finally {
      await customerBrowser.close();
    }

    await agent.click('[data-testid="nav-cases"]');
    const row = agent.locator('[data-testid="case-row"]').first();
    await row.waitFor({ timeout: 10_000 });
    caseId = (await row.getAttribute('data-case-id'))!;
    await openCasePage(agent, caseId);
    await agent.locator('[data-testid="chain-ok"]').waitFor({ timeout: 15_000 });
    expect(await agent.locator('[data-testid="chain-broken"]').count()).toBe(0);
    // the decision and the events, in Chinese
    expect(await agent.locator('[data-testid="case-summary"]').textContent()).toMatch(/坐席不通过/);
    expect(await agent.locator('[data-testid="case-event"][data-type="decision.made"]').textContent()).toMatch(/坐席决定/);
    expect(await agent.locator('[data-testid="case-event"][data-type="check.result"]').count()).toBeGreaterThan(0);

    // both recordings load from main's media route
    await expectPoll(async () => (await videos(agent)).every((v) => v !== null && v.readyState >= 1 && Number.isFinite(v.duration) && v.duration > 0), 30_000, 'both videos loaded metadata');
    const loaded = await videos(agent);
    for (const v of loaded) expect(v!.error, v!.track).toBeNull();

    // the media route itself: a Range answered 206; without the token 403
    const src = await agent.locator('[data-testid="replay-video-customer"]').getAttribute('src');
    const media = new URL(src!, stack.host.origin);
    const ranged = await fetch(media, { headers: { range: 'bytes=0-99' } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-range')).toMatch(/^bytes 0-99\/\d+$/);
    expect((await ranged.arrayBuffer()).byteLength).toBe(100);
    expect((await fetch(new URL(media.pathname, stack.host.origin))).status).toBe(403);

    // evidence frames decrypted for the screen
    await expectPoll(async () => (await agent.locator('[data-testid="evidence-thumb"][data-state="ok"]').count()) > 0, 20_000, 'an evidence thumbnail');

    // play: both advance together
    await agent.click('[data-testid="replay-play"]');
    await expectPoll(async () => (await videos(agent)).every((v) => v!.currentTime > 0.5 && !v!.paused), 20_000, 'both videos playing');
    const drift: number[] = [];
    for (let i = 0; i < 5; i++) {
      const [c, a] = await videos(agent);
      drift.push(Math.abs(c!.currentTime + c!.offset - (a!.currentTime + a!.offset)));
      await agent.waitForTimeout(300);
    }
    console.info(`replay drift between the two videos while playing (s): ${drift.map((d) => d.toFixed(3)).join(' ')}`);
    expect(Math.max(...drift), `drift samples ${drift.map((d) => d.toFixed(3)).join(' ')}`).toBeLessThan(0.25);

    // a mark inside the recording, well away from where playback is now
    const marks = await agent.locator('[data-testid="timeline-marker"][data-in-range="true"]').evaluateAll((els) => els.map((el) => ({ seq: Number(el.getAttribute('data-seq')), kind: el.getAttribute('data-kind'), offsetMs: Number(el.getAttribute('data-offset-ms')) })));
    expect(marks.length).toBeGreaterThan(0);
    expect(new Set(marks.map((m) => m.kind)).size).toBeGreaterThan(1);
    const target = [...marks].sort((x, y) => y.offsetMs - x.offsetMs).find((m) => m.offsetMs > 1500) ?? marks[0]!;
    const landed = await agent.evaluate(async (seq) => {
      const els = (['customer', 'agent'] as const).map((t) => document.querySelector<HTMLVideoElement>(`[data-testid="replay-video-${t}"]`)!);
      // each video's position when its own seek completes (it may go on playing after)
      const seeked = els.map((el) => new Promise<number>((resolve) => el.addEventListener('seeked', () => resolve(el.currentTime + Number(el.dataset.offsetS)), { once: true })));
      document.querySelector<HTMLButtonElement>(`[data-testid="timeline-marker"][data-seq="${seq}"]`)!.click();
      const immediately = els.map((el) => el.currentTime + Number(el.dataset.offsetS));
      const timeout = new Promise<null>((resolve) => setTimeout(() => resolve(null), 10_000));
      return { immediately, seeked: await Promise.race([Promise.all(seeked), timeout]) };
    }, target.seq);
    const want = target.offsetMs / 1000;
    console.info(`mark ${target.kind} at ${want.toFixed(3)} s: right after the click ${landed.immediately.map((t) => t.toFixed(3)).join(' / ')}, after seeking ${landed.seeked?.map((t) => t.toFixed(3)).join(' / ')}`);
    for (const t of landed.immediately) expect(Math.abs(t - want), `right after the click: ${t} vs ${want}`).toBeLessThan(0.3);
    expect(landed.seeked, 'both videos finished seeking').not.toBeNull();
    for (const t of landed.seeked!) expect(Math.abs(t - want), `after seeking: ${t} vs ${want}`).toBeLessThan(0.3);
    expect(await agent.locator(`[data-testid="case-event"][data-seq="${target.seq}"]`).getAttribute('class')).toMatch(/selected/);

    // the 话术 step is a mark of its own kind, named in Chinese, and a click on it seeks both videos there too
    const script = marks.find((m) => m.kind === 'script');
    expect(script, `mark kinds ${[...new Set(marks.map((m) => m.kind))].join(', ')}`).toBeDefined();
    expect(await agent.locator(`[data-testid="case-event"][data-seq="${script!.seq}"]`).textContent()).toMatch(/话术步骤：/);
    const scriptLanded = await agent.evaluate(async (seq) => {
      const els = (['customer', 'agent'] as const).map((t) => document.querySelector<HTMLVideoElement>(`[data-testid="replay-video-${t}"]`)!);
      const seeked = els.map((el) => new Promise<number>((resolve) => el.addEventListener('seeked', () => resolve(el.currentTime + Number(el.dataset.offsetS)), { once: true })));
      document.querySelector<HTMLButtonElement>(`[data-testid="timeline-marker"][data-seq="${seq}"]`)!.click();
      const timeout = new Promise<null>((resolve) => setTimeout(() => resolve(null), 10_000));
      return Promise.race([Promise.all(seeked), timeout]);
    }, script!.seq);
    expect(scriptLanded, 'both videos finished seeking to the script mark').not.toBeNull();
    for (const t of scriptLanded!) expect(Math.abs(t - script!.offsetMs / 1000), `script mark: ${t} vs ${script!.offsetMs / 1000}`).toBeLessThan(0.3);
    expect(await agent.locator(`[data-testid="case-event"][data-seq="${script!.seq}"]`).getAttribute('class')).toMatch(/selected/);
    await agent.click('[data-testid="replay-play"]');
    expect(await agent.locator('[data-testid="replay-play"]').getAttribute('data-playing')).toBe('false');
    await screenshotWhole(agent, 'case-page.png');
  }, 420_000);

  it('re-analysis of the customer recording shows the report beside the original, and a second run gives the identical report', async () => {
    expect(caseId).toBeTruthy();
    const panel = agent.locator('[data-testid="reanalysis-panel"]');
    const run = async () => {
      await agent.click('[data-testid="reanalysis-run"]');
      await expectPoll(async () => (await panel.getAttribute('data-phase')) === 'running', 10_000, 'reanalysis running');
      await expectPoll(async () => (await panel.getAttribute('data-phase')) !== 'running', 240_000, 'reanalysis finished');
      expect(await panel.getAttribute('data-phase'), (await agent.locator('[data-testid="reanalysis-error"]').textContent().catch(() => '')) ?? '').toBe('done');
      return agent.locator('[data-testid="reanalysis-table"]').innerText();
    };
    const first = await run();
    const second = await run();
    expect(second).toBe(first);
    // the call's closing summary records the model files and thresholds it decided with: nothing changed since
    expect(await agent.locator('[data-testid="reanalysis-row"][data-key="model.fr_feature"]').getAttribute('data-comparison')).toBe('same');
    expect(await agent.locator('[data-testid="reanalysis-row"][data-key="threshold.match"]').getAttribute('data-comparison')).toBe('same');
    expect(await agent.locator('[data-testid="reanalysis-row"][data-key="advice"]').count()).toBe(1);
    await screenshotWhole(agent, 'case-reanalysis.png');
  }, 600_000);

  it('a case log tampered with while the host was stopped shows the red banner naming the event', async () => {
    expect(caseId).toBeTruthy();
    const { dataDir } = stack.host;
    await stack.host.stop();
    // as an attacker with the file would: plain SQLite, the append-only triggers dropped, one payload rewritten
    const db = new Database(join(dataDir, 'cases.db'));
    db.exec('DROP TRIGGER IF EXISTS events_no_update');
    const row = db.prepare("SELECT seq, payload FROM events WHERE case_id = ? AND type = 'decision.made'").get(caseId) as { seq: number; payload: string };
    db.prepare('UPDATE events SET payload = ? WHERE case_id = ? AND seq = ?').run(JSON.stringify({ ...JSON.parse(row.payload), decision: 'pass' }), caseId, row.seq);
    db.close();
    // the same data dir, a new launch (no engine needed to read the log)
    stack.host = await startHost({ dataDir, args: ['--no-engine'], env: { VERIDESK_SYNC_TOKEN: stack.token } });
    const page = await openWorkstation(agentBrowser, stack.host.url);
    try {
      await openCasePage(page, caseId);
      const banner = page.locator('[data-testid="chain-broken"]');
      await banner.waitFor({ timeout: 15_000 });
      expect(await banner.getAttribute('data-seq')).toBe(String(row.seq));
      expect(await banner.getAttribute('data-reason')).toBe('CHAIN_HASH_MISMATCH');
      expect(await banner.textContent()).toContain(`第 ${row.seq} 条事件`);
      // a new launch mints new media tokens: the recordings still play
      await expectPoll(async () => (await videos(page)).every((v) => v !== null && v.readyState >= 1), 30_000, 'videos load after the restart');
      await screenshotWhole(page, 'case-page-chain-broken.png');
    } finally {
      await page.close();
    }
  }, 180_000);
});
