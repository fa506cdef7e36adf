/**
 * The two deployments that the loopback call does not prove: media forced through a real TURN server
 * (Debian's coturn, TURN REST credentials issued by the backend), and two backend instances on one real
 * PostgreSQL with the agent on one and the customer on the other (signaling relayed by LISTEN/NOTIFY).
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type PgCluster } from '../../server/testing/pg-harness';
import { testdata } from '../support/testdata';
import { launchChromium } from './support/browser';
import { callState, customerContext, expectPoll, joinAsCustomer, openWorkstation, startCall, startWorkstationHost } from './support/call';
import { startTurn, turnAvailable, type RunningTurn } from './support/coturn';
import type { RunningHost } from './support/host';
import { createServerToken, startServer, type RunningServer } from './support/server';

const AGENT_CAMERA = testdata('faces/video/live_blink_talk_640x480.y4m');
const CUSTOMER_CAMERA = testdata('faces/video/live_head_motion_640x480.y4m');

let agentBrowser: Browser;
let customerBrowser: Browser;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  agentBrowser = await launchChromium({ fakeCamera: AGENT_CAMERA });
  customerBrowser = await launchChromium({ fakeCamera: CUSTOMER_CAMERA });
});

// Each scenario has its own server(s), host and pages: tear them down before the next one starts.
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

afterAll(async () => {
  await agentBrowser?.close();
  await customerBrowser?.close();
});

/** Agent presses 开始视频, the customer opens `rewrite(joinUrl)`; resolves once both see the call connected. */
async function callThrough(agent: Page, rewrite: (url: string) => string = (u) => u): Promise<Page> {
  const joinUrl = rewrite(await startCall(agent));
  const context = await customerContext(customerBrowser);
  cleanups.push(() => context.close());
  const { page } = await joinAsCustomer(context, joinUrl, { recording: false });
  await expectPoll(async () => (await callState(agent)) === 'connected', 60_000, 'agent sees the call connected');
  await expectPoll(async () => Number(await agent.locator('[data-testid="call-stats"]').getAttribute('data-fps')) > 3, 30_000, 'remote video flowing');
  return page;
}

describe('live video call through a TURN relay', () => {
  it.skipIf(!turnAvailable())('connects with iceTransportPolicy relay through coturn on loopback (skipped only when turnserver is not installed)', async () => {
    const turn: RunningTurn = await startTurn();
    cleanups.push(() => turn.stop());
    const dataDir = await mkdtemp(join(tmpdir(), 'veridesk-server-'));
    const env = { VERIDESK_TURN_URLS: turn.url, VERIDESK_TURN_SECRET: turn.secret, VERIDESK_ICE_TRANSPORT_POLICY: 'relay' };
    const token = await createServerToken({ dataDir, env }, 'ws-relay');
    const server = await startServer({ dataDir, env });
    cleanups.push(() => server.stop());
    const host = await startWorkstationHost(server.url, token);
    cleanups.push(() => host.stop());
    const agent = await openWorkstation(agentBrowser, host.url);
    cleanups.push(() => agent.close());
    await callThrough(agent);
    expect(await agent.locator('[data-testid="call-stats"]').getAttribute('data-path')).toBe('relay');
    // coturn itself granted allocations to the server-issued TURN REST user name (<expiry>:<room id>)
    expect(turn.output()).toMatch(/user <\d{10}:[A-Za-z0-9_-]{16,64}>: incoming packet ALLOCATE processed, success/);
    await agent.click('[data-testid="call-end"]');
  });
});

describe('live video call across two backend instances on one PostgreSQL', () => {
  let cluster: PgCluster | null = null;
  let skipReason = '';

  beforeAll(async () => {
    const started = await startPostgres();
    if (started.ok) cluster = started.cluster;
    else skipReason = started.reason;
  });
  afterAll(async () => cluster?.stop());

  it('connects the agent on instance A with the customer on instance B', async (context) => {
    if (!cluster) return context.skip(`PostgreSQL not available: ${skipReason}`);
    const databaseUrl = cluster.url;
    const dirA = await mkdtemp(join(tmpdir(), 'veridesk-server-a-'));
    const dirB = await mkdtemp(join(tmpdir(), 'veridesk-server-b-'));
    const token = await createServerToken({ dataDir: dirA, databaseUrl }, 'ws-multi');
    const a: RunningServer = await startServer({ dataDir: dirA, databaseUrl });
    cleanups.push(() => a.stop());
    const b: RunningServer = await startServer({ dataDir: dirB, databaseUrl });
    cleanups.push(() => b.stop());
    const host: RunningHost = await startWorkstationHost(a.url, token);
    cleanups.push(() => host.stop());
    const agent = await openWorkstation(agentBrowser, host.url);
    cleanups.push(() => agent.close());
    // A load balancer would send the customer anywhere: here, deliberately to the other instance.
    const customer = await callThrough(agent, (url) => url.replace(a.url, b.url));
    expect(customer.url().startsWith(b.url)).toBe(true);
    await agent.click('[data-testid="call-end"]');
  });
});
