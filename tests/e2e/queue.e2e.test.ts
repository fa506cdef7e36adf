/**
 * The customer journey end to end (issue 12): a self-service channel hands a customer over through the real
 * backend with a reference photo and the checks it already did; the customer waits on the real join page and sees
 * their position; two workstation hosts sign their agents in. Agent B is ready first and gets the customer, does
 * not answer, loses the offer after the (shortened) timeout and is set 小休; agent A, ready meanwhile, gets it,
 * accepts with one key, and the desk opens pre-filled — the channel's checks shown as done, the intent — with the
 * reference photo as the ID photo, and the face match runs against it over the live call. Two more customers see
 * positions 1 and 2; B, ready again, is offered the next of them (never A's), declines, and gets the one after.
 * The declined customer books a call-back instead of waiting.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUE_PATHS, type HandoverResponse } from '../../src/shared/queue';
import { testdata } from '../support/testdata';
import { launchChromium } from './support/browser';
import { callState, customerContext, expectPoll, openWorkstation } from './support/call';
import { REPO_ROOT, startHost, type RunningHost } from './support/host';
import { createServerToken, startServer, type RunningServer } from './support/server';

const AGENT_CAMERA = testdata('faces/video/live_head_motion_640x480.y4m');
const LIVE = testdata('faces/video/live_blink_talk_640x480.y4m');
const OFFER_TIMEOUT_MS = 8_000;
const work = mkdtempSync(join(tmpdir(), 'vd-queue-e2e-'));
const SCREENSHOTS = join(REPO_ROOT, 'test-results/screenshots');

let server: RunningServer;
let channelToken: string;
let leadToken: string;
let hostA: RunningHost;
let hostB: RunningHost;
let agentBrowser: Browser;
let customerBrowser: Browser;
let agentA: Page;
let agentB: Page;
const customers: { context: BrowserContext; page: Page; requestId: string; secret: string }[] = [];

async function startAgentHost(name: string, agentId: string, token: string, args: string[] = []): Promise<RunningHost> {
  const dir = mkdtempSync(join(work, `host-${name}-`));
  writeFileSync(join(dir, 'settings.json'), JSON.stringify({ backendUrl: server.url, agentId }));
  return startHost({ dataDir: dir, args, env: { VERIDESK_SYNC_TOKEN: token } });
}

async function handOver(body: Record<string, unknown>): Promise<HandoverResponse> {
  const response = await fetch(`${server.url}${QUEUE_PATHS.requests}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${channelToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status !== 201) throw new Error(`hand-over answered ${response.status}: ${text}`);
  return JSON.parse(text) as HandoverResponse;
}

/** The agent's shift: going online in the queue needs one (no face check here: the center has not enabled them). */
async function signIn(page: Page): Promise<void> {
  if ((await page.locator('[data-testid="shift-sign-out"]').count()) > 0) return;
  await page.click('[data-testid="shift-sign-in"]');
  await page.click('[data-testid="shift-confirm"]');
  await page.locator('[data-testid="shift-sign-out"]').waitFor({ timeout: 10_000 });
}

async function setAgentState(page: Page, state: 'ready' | 'busy' | 'away' | 'offline'): Promise<void> {
  await signIn(page);
  await page.selectOption('[data-testid="queue-state-select"]', state);
  await expectPoll(async () => (await page.locator('[data-testid="queue-state-select"]').inputValue()) === state, 10_000, `agent state ${state}`);
}

const offerOf = (page: Page) => page.locator('[data-testid="queue-offer"]').getAttribute('data-request-id');
const position = (page: Page) => page.locator('[data-testid="queue-position"]').getAttribute('data-position');

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const dataDir = mkdtempSync(join(work, 'server-'));
  const config = { dataDir, env: { VERIDESK_QUEUE_OFFER_TIMEOUT_MS: String(OFFER_TIMEOUT_MS) } };
  const tokenA = await createServerToken(config, 'ws-a');
  const tokenB = await createServerToken(config, 'ws-b');
  channelToken = await createServerToken(config, 'app-1', 'channel');
  leadToken = await createServerToken(config, 'lead-1', 'lead');
  server = await startServer(config);
  hostA = await startAgentHost('a', 'agent-a', tokenA);
  // agent B needs no face engine: it takes offers, and the test never lets it run a call's checks
  hostB = await startAgentHost('b', 'agent-b', tokenB, ['--no-engine']);
  agentBrowser = await launchChromium({ fakeCamera: AGENT_CAMERA });
  customerBrowser = await launchChromium({ fakeCamera: LIVE });
  agentA = await openWorkstation(agentBrowser, hostA.url);
  agentB = await openWorkstation(agentBrowser, hostB.url);
  await expectPoll(async () => /推理: CPU/.test((await agentA.locator('[data-testid="status-provider"]').textContent()) ?? ''), 120_000, 'engine ready on A');
}, 240_000);

afterAll(async () => {
  await agentBrowser?.close();
  await customerBrowser?.close();
  await Promise.allSettled([hostA?.stop(), hostB?.stop()]);
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
});

/** Opens a customer's join link in a phone-sized context and waits for the queue screen. */
async function openAsCustomer(handed: HandoverResponse): Promise<(typeof customers)[number]> {
  const context = await customerContext(customerBrowser);
  const page = await context.newPage();
  await page.goto(handed.joinUrl!);
  await page.locator('[data-testid="queue-screen"]').waitFor({ timeout: 20_000 });
  const customer = { context, page, requestId: handed.requestId, secret: new URL(handed.joinUrl!).hash.slice(1) };
  customers.push(customer);
  return customer;
}

describe('queue, hand-over and call-back', () => {
  it('a customer handed over by a channel with a reference photo waits on the join page and sees their position', async () => {
    const idPhoto = join(work, 'reference.jpg');
    execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-ss', '6.5', '-i', testdata('faces/video/live_blink_talk.mp4'), '-frames:v', '1', '-q:v', '2', idPhoto]);
    const now = Date.now();
    const first = await handOver({
      channelRequestId: 'app-req-1',
      serviceType: 'transact',
      customerRef: 'cust-e2e-1',
      intent: '修改绑定手机号',
      priorChecks: [
        { kind: 'sms_otp', result: 'pass', at: now - 60_000, source: 'app' },
        { kind: 'id_document', result: 'pass', at: now - 50_000, source: 'app', detail: '身份证正面已上传' },
      ],
      referencePhoto: { type: 'image/jpeg', base64: readFileSync(idPhoto).toString('base64') },
    });
    expect(first.joinUrl).toMatch(/\/join\/q\/.+#.+/);
    const customer = await openAsCustomer(first);
    await expectPoll(async () => (await position(customer.page)) === '1', 15_000, 'the customer is number 1');
    await customer.page.screenshot({ path: join(SCREENSHOTS, 'queue-customer-waiting.png') });
  });

  it('the first ready agent is offered the customer; unanswered, the offer passes to the next ready agent and the first is set 小休', async () => {
    await setAgentState(agentB, 'ready');
    await expectPoll(async () => (await offerOf(agentB)) === customers[0]!.requestId, 15_000, 'B offered the customer');
    await agentB.screenshot({ path: join(SCREENSHOTS, 'queue-offer.png') });
    // A is ready too, but the only customer is offered to B, who was ready first
    await setAgentState(agentA, 'ready');
    expect(await agentA.locator('[data-testid="queue-offer"]').count()).toBe(0);
    // B does not answer
    await expectPoll(async () => (await offerOf(agentA)) === customers[0]!.requestId, OFFER_TIMEOUT_MS + 10_000, 'A offered the customer after B let it lapse');
    expect(await agentB.locator('[data-testid="queue-offer"]').count()).toBe(0);
    await expectPoll(async () => (await agentB.locator('[data-testid="queue-state-select"]').inputValue()) === 'away', 10_000, 'B set away after the missed offer');
  });

  it('A accepts with one key: the desk opens pre-filled with the context and the reference photo, and the face match runs against it', async () => {
    const customer = customers[0]!.page;
    await agentA.locator('[data-testid="queue-offer"]').waitFor();
    await agentA.keyboard.press('Enter');
    // the customer's page leaves the queue for the call: camera and recording consent as with a direct link
    await customer.click('[data-testid="consent-camera-accept"]', { timeout: 20_000 });
    await customer.click('[data-testid="consent-recording-accept"]');
    await expectPoll(async () => (await callState(agentA)) === 'connected', 60_000, 'call connected');
    await agentA.locator('[data-testid="desk"]').waitFor({ timeout: 20_000 });
    expect(await agentA.locator('[data-testid="desk-prior-checks"]').textContent()).toMatch(/短信验证码/);
    expect(await agentA.locator('[data-testid="desk-intent"]').textContent()).toMatch(/修改绑定手机号/);
    // the reference photo is the ID photo: the face match settles without the agent choosing a photo
    await expectPoll(async () => ['pass', 'warn', 'fail'].includes((await agentA.locator('[data-testid="check-face_match"]').getAttribute('data-status')) ?? ''), 90_000, 'face match against the reference photo');
    expect(await agentA.locator('[data-testid="check-face_match"]').getAttribute('data-status')).toBe('pass');
    await agentA.screenshot({ path: join(SCREENSHOTS, 'queue-desk-prefilled.png') });
    // the hand-over panel (below the fold of the whole desk): the channel's checks and the intent
    await agentA.locator('[data-testid="desk-handover"]').screenshot({ path: join(SCREENSHOTS, 'queue-desk-handover.png') });
  });

  it('two more customers see positions 1 and 2; B, ready again, is offered the next one — never the one A took', async () => {
    const second = await openAsCustomer(await handOver({ channelRequestId: 'app-req-2', serviceType: 'transact', customerRef: 'cust-e2e-2' }));
    const third = await openAsCustomer(await handOver({ channelRequestId: 'app-req-3', serviceType: 'transact', customerRef: 'cust-e2e-3' }));
    await expectPoll(async () => (await position(second.page)) === '1', 15_000, 'second customer is number 1');
    await expectPoll(async () => (await position(third.page)) === '2', 15_000, 'third customer is number 2');
    await setAgentState(agentB, 'ready');
    await expectPoll(async () => (await offerOf(agentB)) === second.requestId, 15_000, 'B offered the second customer');
    await agentB.click('[data-testid="queue-offer-decline"]');
    // declined: the next customer is offered to B, the declined one waits for someone else
    await expectPoll(async () => (await offerOf(agentB)) === third.requestId, 15_000, 'B offered the third customer after declining the second');
  });

  it('the second customer books a call-back instead of waiting, and leaves the queue', async () => {
    const customer = customers[1]!;
    await customer.page.click('[data-testid="queue-callback-open"]');
    const slot = customer.page.locator('[data-testid="queue-slot"]').first();
    await slot.waitFor({ timeout: 15_000 });
    await slot.click();
    await customer.page.locator('[data-testid="queue-callback-confirmed"]').waitFor({ timeout: 15_000 });
    await customer.page.screenshot({ path: join(SCREENSHOTS, 'queue-callback-booked.png') });
    const status = await fetch(`${server.url}${QUEUE_PATHS.requests}/${customer.requestId}`, { headers: { authorization: `Bearer ${customer.secret}` } });
    expect(await status.json()).toMatchObject({ state: 'callback', callback: { state: 'booked' } });
  });

  it("the lead's console shows the wallboard with the backend's own numbers and the hourly chart", async () => {
    const leadHost = await startAgentHost('lead', 'lead-1', leadToken, ['--no-engine']);
    const lead = await openWorkstation(agentBrowser, leadHost.url);
    try {
      await lead.click('[data-testid="nav-console"]');
      await lead.locator('[data-testid="page-console"]').waitFor({ timeout: 20_000 });
      await lead.selectOption('[data-testid="console-source"]', 'backend');
      await lead.click('[data-testid="console-tab-wallboard"]');
      await lead.locator('[data-testid="wallboard-answered"]').waitFor({ timeout: 20_000 });
      const api = async () =>
        (await (await fetch(`${server.url}${QUEUE_PATHS.wallboard}?tzOffsetMinutes=480`, { headers: { authorization: `Bearer ${leadToken}` } })).json()) as { waiting: number; agents: Record<string, number>; today: { answered: number } };
      const shown = async () => ({
        waiting: Number(await lead.locator('[data-testid="wallboard-waiting"]').textContent()),
        answered: Number(await lead.locator('[data-testid="wallboard-answered"]').textContent()),
        busy: Number(await lead.locator('[data-testid="wallboard-agents-busy"]').textContent()),
      });
      // A took one call; the board refreshes every 10 s, so it may take one refresh to match
      await expectPoll(
        async () => {
          const [b, v] = await Promise.all([api(), shown()]);
          return b.today.answered >= 1 && v.waiting === b.waiting && v.answered === b.today.answered && v.busy === (b.agents.busy ?? 0);
        },
        25_000,
        'the wallboard shows the backend numbers',
        async () => `backend ${JSON.stringify(await api())}, shown ${JSON.stringify(await shown())}`,
      );
      expect(await lead.locator('[data-testid="wallboard-chart"] canvas').count()).toBeGreaterThan(0);
      await lead.screenshot({ path: join(SCREENSHOTS, 'console-wallboard.png') });
    } finally {
      await lead.close();
      await leadHost.stop();
    }
  });
});
