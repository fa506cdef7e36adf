/**
 * The live video session end to end: two Chromium instances, each with its own fake camera file (the
 * agent's workstation through the headless host, the customer's phone-sized join page), a real backend
 * (signaling, join page) on PGlite, real WebRTC on loopback, real recordings decrypted and decoded by ffprobe.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testdata } from '../support/testdata';
import { measureY4m } from '../support/y4m';
import { launchChromium } from './support/browser';
import {
  callState,
  customerContext,
  expectPoll,
  joinAsCustomer,
  joinState,
  listRecordings,
  openWorkstation,
  probeRecording,
  startCall,
  startCallStack,
  startWorkstationHost,
  videoPixels,
  type CallStack,
} from './support/call';
import { REPO_ROOT } from './support/host';

const AGENT_CAMERA = testdata('faces/video/live_blink_talk_640x480.y4m');
const CUSTOMER_CAMERA = testdata('faces/video/live_head_motion_640x480.y4m');
const SCREENSHOTS = join(REPO_ROOT, 'test-results/screenshots');

let stack: CallStack;
let agentBrowser: Browser;
let customerBrowser: Browser;
let agent: Page;
let customerCtx: BrowserContext;
let customer: Page;
let joinUrl: string;
let callStartedAt: number;

const stat = async (page: Page, name: string) => Number(await page.locator('[data-testid="call-stats"]').getAttribute(`data-${name}`));

/** The customer's video keeps arriving: the workstation's inbound fps stays above zero. */
async function expectRemoteVideoFlowing(what: string) {
  await expectPoll(async () => (await stat(agent, 'fps')) > 3, 20_000, `remote video flowing (${what})`);
}

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  stack = await startCallStack();
  agentBrowser = await launchChromium({ fakeCamera: AGENT_CAMERA });
  customerBrowser = await launchChromium({ fakeCamera: CUSTOMER_CAMERA });
  agent = await openWorkstation(agentBrowser, stack.host.url);
});

afterAll(async () => {
  await timed('close the agent browser', () => agentBrowser?.close());
  await timed('close the customer browser', () => customerBrowser?.close());
  await timed('stop the host and the server', () => stack?.stop());
});

/** Tear-down steps must not hang the suite: each one is timed and reported when it is slow. */
async function timed(what: string, step: () => Promise<unknown> | undefined) {
  const started = Date.now();
  await step();
  const ms = Date.now() - started;
  if (ms > 5000) console.warn(`tear-down: ${what} took ${ms} ms`);
}

describe('live video call: workstation ⇄ customer join page through the backend', () => {
  it('connects a customer who joins from a phone-sized page, with both consents', async () => {
    joinUrl = await startCall(agent);
    expect(joinUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/join\/[A-Za-z0-9_-]{16,}#[A-Za-z0-9_-]{32,}$/);
    expect(await callState(agent)).toBe('waiting');
    expect(await agent.locator('[data-testid="join-qr"]').getAttribute('src')).toMatch(/^data:image\/png;base64,/);
    customerCtx = await customerContext(customerBrowser);
    ({ page: customer } = await joinAsCustomer(customerCtx, joinUrl));
    callStartedAt = Date.now();
    await expectPoll(async () => (await callState(agent)) === 'connected', 45_000, 'agent sees the call connected');
    await expectPoll(async () => (await joinState(customer)) === 'connected', 20_000, 'customer sees the call connected');
    // the token left the address bar once read
    expect(new URL(customer.url()).hash).toBe('');
    await expectPoll(async () => (await agent.locator('[data-testid="consent-recording"]').getAttribute('data-value')) === 'granted', 10_000, 'recording consent shown');
  });

  it("shows the customer's camera on the workstation: its pixels match the customer's file, not the agent's", async () => {
    await agent.waitForFunction(() => (document.querySelector<HTMLVideoElement>('[data-testid="remote-video"]')?.videoWidth ?? 0) > 0, undefined, { timeout: 20_000 });
    const customerFile = await measureY4m(CUSTOMER_CAMERA);
    const agentFile = await measureY4m(AGENT_CAMERA);
    const blue = (m: { frameMeans: Array<[number, number, number]> }) => m.frameMeans.map((f) => f[2]);
    // The two files differ most in blue (≈54 vs ≈91): the remote picture must sit in the customer's range.
    let seen: number[] = [];
    await expectPoll(
      async () => {
        const pixels = await videoPixels(agent, 'remote-video');
        seen = pixels.whole;
        return pixels.whole[2]! > Math.min(...blue(customerFile)) - 12 && pixels.whole[2]! < Math.max(...blue(customerFile)) + 12;
      },
      15_000,
      "remote video's mean colour in the customer file's range",
    );
    expect(seen[2]).toBeLessThan(Math.min(...blue(agentFile)) - 12);
    const pixels = await videoPixels(agent, 'remote-video');
    expect(Math.max(...pixels.leftBar)).toBeLessThan(30); // the file's black side bars survived the codec
    await expectRemoteVideoFlowing('after connect');
    expect(['direct', 'relay']).toContain(await agent.locator('[data-testid="call-stats"]').getAttribute('data-path'));
  });

  it("runs the face engine on the customer's stream and draws the face box", async () => {
    await expectPoll(async () => Number(await agent.locator('[data-testid="face-overlay"]').getAttribute('data-face-count')) >= 1, 60_000, 'engine found a face on the remote stream');
    await expectPoll(async () => (await agent.locator('[data-testid="face-overlay"]').getAttribute('data-drawn')) === 'true', 30_000, 'face box drawn over the remote video');
    await agent.screenshot({ path: join(SCREENSHOTS, 'call-workstation.png') });
    await customer.screenshot({ path: join(SCREENSHOTS, 'call-customer-phone.png') });
  });

  it('pushes a guidance prompt to the customer page over the data channel', async () => {
    await agent.click('[data-testid="guidance-turn_left_slowly"]');
    await expectPoll(async () => (await customer.locator('[data-testid="guidance-text"]').getAttribute('data-key')) === 'turn_left_slowly', 10_000, 'guidance shown on the customer page');
    expect(await customer.locator('[data-testid="guidance-text"]').textContent()).toContain('向左');
  });

  it('records both tracks while the call runs (recording consent given)', async () => {
    await expectPoll(async () => (await agent.locator('[data-testid="recording-state"]').getAttribute('data-state')) === 'recording', 20_000, 'recording started');
    await expectPoll(async () => Number(await agent.locator('[data-testid="recording-state"]').getAttribute('data-customer-chunks')) >= 3, 20_000, 'customer chunks written');
    expect(Number(await agent.locator('[data-testid="recording-state"]').getAttribute('data-agent-chunks'))).toBeGreaterThanOrEqual(2);
  });

  it('refuses hostile signaling clients (bad JSON, oversize, flood, another room) while the call goes on', async () => {
    const ws = stack.server.url.replace(/^http/, 'ws') + '/api/v1/signal';
    const roomId = new URL(joinUrl).pathname.split('/').pop()!;
    const token = new URL(joinUrl).hash.slice(1);
    const closeCode = (send: (socket: WebSocket) => void) =>
      new Promise<{ code: number; errors: string[] }>((resolve) => {
        const socket = new WebSocket(ws);
        const errors: string[] = [];
        socket.on('message', (data) => {
          const m = JSON.parse(String(data)) as { t: string; code?: string };
          if (m.t === 'error' && m.code) errors.push(m.code);
        });
        socket.on('open', () => send(socket));
        socket.on('close', (code) => resolve({ code, errors }));
        socket.on('error', () => undefined);
      });
    const badJson = await closeCode((s) => s.send('{not json'));
    expect(badJson.errors).toContain('MALFORMED_MESSAGE');
    const oversize = await closeCode((s) => s.send('x'.repeat(200 * 1024)));
    expect([1009, 1006]).toContain(oversize.code);
    // the used token again, for this very room: single use
    const reused = await closeCode((s) => s.send(JSON.stringify({ t: 'hello', role: 'customer', room: roomId, token })));
    expect(reused.errors).toEqual(['TOKEN_USED']);
    // this room's token on another room id
    const otherRoom = await closeCode((s) => s.send(JSON.stringify({ t: 'hello', role: 'customer', room: 'A'.repeat(22), token })));
    expect(otherRoom.errors[0]).toMatch(/ROOM_NOT_FOUND|TOKEN_INVALID/);
    const agentWithoutToken = await closeCode((s) => s.send(JSON.stringify({ t: 'hello', role: 'agent', room: roomId })));
    expect(agentWithoutToken.errors[0]).toMatch(/UNAUTHENTICATED|FORBIDDEN/);
    const flood = await closeCode((s) => {
      for (let i = 0; i < 500; i++) s.send(JSON.stringify({ t: 'hello', role: 'customer', room: roomId, token: 'x'.repeat(43) }));
    });
    expect(flood.errors.length).toBeGreaterThan(0);
    expect(await callState(agent)).toBe('connected');
    await expectRemoteVideoFlowing('after the hostile clients');
  });

  it('refuses a wrong or already used join link on the customer page with a clear message', async () => {
    const stranger = await customerContext(customerBrowser);
    const used = await stranger.newPage();
    // a dead link is reported at once, before the customer is asked for the camera
    await used.goto(joinUrl);
    await expectPoll(async () => (await used.locator('[data-testid="error-message"]').getAttribute('data-code')) === 'TOKEN_USED', 15_000, 'TOKEN_USED shown');
    expect(await used.locator('[data-testid="error-message"]').textContent()).toMatch(/[\u4e00-\u9fff]/);
    const wrong = await stranger.newPage();
    await wrong.goto(joinUrl.replace(/#.*/, `#${'Q'.repeat(43)}`));
    await expectPoll(async () => (await wrong.locator('[data-testid="error-message"]').getAttribute('data-code')) === 'TOKEN_INVALID', 15_000, 'TOKEN_INVALID shown');
    await stranger.close();
    expect(await callState(agent)).toBe('connected');
  });

  it('detects the customer closing the page and recovers when they reopen the link', async () => {
    await customer.close();
    await expectPoll(async () => ['waiting', 'reconnecting'].includes((await callState(agent)) ?? ''), 20_000, 'agent sees the customer gone');
    customer = await customerCtx.newPage();
    await customer.goto(joinUrl);
    // the same browser kept its rejoin secret: consent again, then straight back into the room
    await customer.click('[data-testid="consent-camera-accept"]');
    await customer.click('[data-testid="consent-recording-accept"]');
    await expectPoll(async () => (await callState(agent)) === 'connected', 45_000, 'call recovered after reopening');
    await expectRemoteVideoFlowing('after reopening');
  });

  it('keeps the media flowing while the backend restarts, and signaling reconnects by itself', async () => {
    await stack.server.stop();
    await new Promise((r) => setTimeout(r, 2000));
    await expectRemoteVideoFlowing('backend down');
    stack.server = await stack.server.restart();
    await expectPoll(async () => (await agent.locator('[data-testid="call-state"]').getAttribute('data-signaling')) === 'connected', 45_000, 'signaling reconnected');
    expect(await callState(agent)).toBe('connected');
  });

  it('ends the call; both recordings decrypt, decode with ffprobe and last most of the call', async () => {
    const elapsedS = (Date.now() - callStartedAt) / 1000;
    if (elapsedS < 20) await new Promise((r) => setTimeout(r, (20 - elapsedS) * 1000));
    await agent.click('[data-testid="call-end"]');
    await expectPoll(async () => (await callState(agent)) === 'ended', 20_000, 'call ended');
    // straight away through signaling, or — if the page is still rejoining after the backend restart — when it
    // rejoins and finds the room closed
    await expectPoll(async () => (await joinState(customer)) === 'ended', 30_000, 'customer told the call ended');
    const callS = (Date.now() - callStartedAt) / 1000;
    const rows = await listRecordings(stack.host.dataDir);
    for (const track of ['customer', 'agent'] as const) {
      const segments = rows.filter((r) => r.track === track);
      expect(segments.length, `${track} recordings`).toBeGreaterThanOrEqual(1);
      let total = 0;
      for (const segment of segments) {
        expect(segment.state).toBe('stopped');
        const probe = await probeRecording(stack.host.dataDir, segment.recordingId);
        expect(probe.streams).toContain('video');
        expect(probe.decodedFrames).toBeGreaterThan(10);
        total += probe.durationS;
      }
      // recording starts once media is up and the consent is logged, so a little of the call is before it
      expect(total, `${track} seconds recorded of a ${callS.toFixed(0)} s call`).toBeGreaterThan(callS * 0.6);
    }
  });
});

describe('live video call: the virtual-camera signal', () => {
  it("reaches the agent's UI as a risk when the customer's camera is labelled OBS Virtual Camera", async () => {
    const url = await startCall(agent);
    const context = await customerContext(customerBrowser);
    await context.addInitScript(() => {
      Object.defineProperty(MediaStreamTrack.prototype, 'label', {
        get(this: MediaStreamTrack) {
          return this.kind === 'video' ? 'OBS Virtual Camera' : 'Default microphone';
        },
      });
    });
    const { page } = await joinAsCustomer(context, url, { recording: false });
    await expectPoll(async () => (await agent.locator('[data-testid="customer-device"]').getAttribute('data-virtual')) === 'true', 30_000, 'virtual camera flagged');
    expect(await agent.locator('[data-testid="customer-device"]').getAttribute('data-label')).toBe('OBS Virtual Camera');
    expect(await agent.locator('[data-testid="consent-recording"]').getAttribute('data-value')).toBe('declined');
    await agent.click('[data-testid="call-end"]');
    await expectPoll(async () => (await joinState(page)) === 'ended', 20_000, 'customer told the call ended');
    await context.close();
  });
});

describe('live video call: killing the workstation mid-recording', () => {
  it('leaves both recordings playable up to the last written chunk after a restart', async () => {
    const url = await startCall(agent);
    const context = await customerContext(customerBrowser);
    const { page } = await joinAsCustomer(context, url);
    await expectPoll(async () => (await callState(agent)) === 'connected', 45_000, 'connected');
    await expectPoll(async () => Number(await agent.locator('[data-testid="recording-state"]').getAttribute('data-customer-chunks')) >= 6, 30_000, 'six customer chunks');
    const written = Number(await agent.locator('[data-testid="recording-state"]').getAttribute('data-customer-chunks'));
    stack.host.process.kill('SIGKILL');
    await new Promise((r) => stack.host.process.once('exit', r));
    await expectPoll(async () => ['reconnecting', 'ended', 'connected'].includes((await joinState(page)) ?? ''), 10_000, 'customer page still up');
    const dataDir = stack.host.dataDir;
    stack.host = await startWorkstationHost(stack.server.url, stack.token, dataDir);
    const rows = (await listRecordings(dataDir)).filter((r) => r.state !== 'stopped' || r.chunks > 0);
    const recovered = rows.filter((r) => r.state === 'recovered' || r.state === 'stopped');
    for (const track of ['customer', 'agent'] as const) {
      const latest = recovered.filter((r) => r.track === track).at(-1);
      expect(latest, `${track} recording after the crash`).toBeDefined();
      const probe = await probeRecording(dataDir, latest!.recordingId);
      expect(probe.decodedFrames).toBeGreaterThan(10);
      if (track === 'customer') expect(probe.durationS).toBeGreaterThan((written - 2) * 0.8);
    }
    agent = await openWorkstation(agentBrowser, stack.host.url);
    await context.close();
  });
});
