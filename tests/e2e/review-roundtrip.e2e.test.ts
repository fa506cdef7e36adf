/**
 * A review's whole round trip through real processes: an agent's workstation (a headless host with a workstation
 * token) syncs its cases to the backend; a team lead's workstation (a second host, lead token) opens one of them
 * from the 质检 console's backend source in Chromium and posts a review outcome through the review form; the
 * agent's workstation pulls it at its next sync, chains it as review.received, and its 案件记录 page shows it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileKeyProvider } from '../../src/main/caselog/key-provider';
import { CaseStore } from '../../src/main/caselog/store';
import { writeDeskCase, type DeskCaseSpec } from '../../src/main/console/demo-seed';
import type { CaseEvent } from '../../src/shared/cases';
import { decodeReviewNote } from '../../src/shared/console';
import { launchChromium } from './support/browser';
import { REPO_ROOT, startHost, type RunningHost } from './support/host';
import { createServerToken, startServer, type RunningServer } from './support/server';

const SCREENSHOTS = join(REPO_ROOT, 'test-results/screenshots');
const HOUR = 3_600_000;
const NOW = Date.now();
/** The agent's cases: one override (the one the lead reviews), the others following the engine's advice. */
const TARGET = 'case-rt-override';
const SPECS: DeskCaseSpec[] = [
  { caseId: TARGET, agentId: 'agent-07', serviceType: 'transact', openedAt: NOW - 3 * HOUR, advice: 'pass', decision: 'fail', reasonCode: 'suspected_impostor', failed: ['presence'] },
  { caseId: 'case-rt-pass-1', agentId: 'agent-07', serviceType: 'query', openedAt: NOW - 5 * HOUR, advice: 'pass', decision: 'pass' },
  { caseId: 'case-rt-pass-2', agentId: 'agent-08', serviceType: 'operate', openedAt: NOW - 26 * HOUR, advice: 'pass', decision: 'pass', challenges: 1 },
  { caseId: 'case-rt-fail-1', agentId: 'agent-08', serviceType: 'transact', openedAt: NOW - 30 * HOUR, advice: 'fail', decision: 'fail', failed: ['liveness'] },
  { caseId: 'case-rt-consult', agentId: 'agent-07', serviceType: 'consult', openedAt: NOW - 50 * HOUR },
];
const NOTE = '违背建议拒绝，但证据不足以判定冒名';

let server: RunningServer;
let agentHost: RunningHost;
let leadHost: RunningHost;
let browser: Browser;
let leadPage: Page;
let agentPage: Page;
let leadToken: string;
let workstationToken: string;

/** One request to a host's main over its WebSocket, as another program on the machine would send it. */
function invoke(host: RunningHost, method: string, params: unknown): Promise<{ ok: boolean; value?: unknown; error?: { code: string } }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${host.origin.replace(/^http/, 'ws')}/ws`, ['veridesk.v1', `k.${host.secret}`]);
    socket.on('open', () => socket.send(JSON.stringify({ id: 1, method, params })));
    socket.on('message', (data, binary) => {
      if (binary) return;
      const message = JSON.parse(String(data)) as { kind: string; result?: { ok: boolean } };
      if (message.kind !== 'response') return;
      socket.close();
      resolve(message.result as { ok: boolean });
    });
    socket.on('error', reject);
  });
}

/** GET on the backend with a token, from the test (not through either workstation). */
async function backendGet(path: string, token: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, body: await response.json() };
}

async function hostFor(token: string, prepare?: (dataDir: string) => void): Promise<RunningHost> {
  const dataDir = await mkdtemp(join(tmpdir(), 'veridesk-roundtrip-'));
  prepare?.(dataDir);
  writeFileSync(join(dataDir, 'settings.json'), JSON.stringify({ backendUrl: server.url }));
  return startHost({ dataDir, args: ['--no-engine'], env: { VERIDESK_BACKEND_TOKEN: token } });
}

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  // tokens first: the embedded PGlite belongs to one process at a time
  const serverDir = await mkdtemp(join(tmpdir(), 'veridesk-roundtrip-server-'));
  leadToken = await createServerToken({ dataDir: serverDir }, 'lead-qa', 'lead');
  workstationToken = await createServerToken({ dataDir: serverDir }, 'ws-agent-07', 'workstation');
  server = await startServer({ dataDir: serverDir });
  // the agent's log, written the way the desk writes cases, before its workstation starts and syncs it
  agentHost = await hostFor(workstationToken, (dataDir) => {
    const store = CaseStore.open({ path: join(dataDir, 'cases.db'), keyProvider: new FileKeyProvider(join(dataDir, 'cases.db.key')) });
    try {
      for (const spec of SPECS) writeDeskCase(store, spec);
    } finally {
      store.close();
    }
  });
  leadHost = await hostFor(leadToken);
  browser = await launchChromium();
  leadPage = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
  agentPage = await browser.newPage({ viewport: { width: 1400, height: 900 } });
});

afterAll(async () => {
  await browser?.close();
  await leadHost?.stop();
  await agentHost?.stop();
  await server?.stop();
});

describe('a lead’s review reaches the agent’s workstation', () => {
  it('the agent’s workstation syncs its cases; the lead API is closed to its workstation token', async () => {
    await expect
      .poll(async () => ((await backendGet('/api/v1/lead/cases?agentId=agent-07&limit=50', leadToken)).body as { rows?: unknown[] }).rows?.length, { timeout: 30_000, interval: 500 })
      .toBe(SPECS.filter((s) => s.agentId === 'agent-07').length);
    for (const path of ['/api/v1/lead/cases', `/api/v1/lead/cases/${TARGET}`, '/api/v1/lead/stats?groupBy=agent']) {
      const r = await backendGet(path, workstationToken);
      expect([path, r.status, (r.body as { error?: { code?: string } }).error?.code]).toEqual([path, 403, 'FORBIDDEN']);
    }
  });

  it('the lead finds the case in the console’s backend source and posts a review through the form', async () => {
    await leadPage.goto(leadHost.url);
    await leadPage.waitForSelector('[data-testid="status-connection"]');
    await leadPage.click('[data-testid="nav-console"]');
    await leadPage.locator('[data-testid="page-console"]').waitFor({ timeout: 20_000 });
    expect(await leadPage.locator('[data-testid="console-whoami"]').textContent()).toContain('lead-qa');
    const table = leadPage.locator('[data-testid="console-table"]');
    // the lead's own workstation holds no case: what shows comes from the backend
    await expect.poll(() => table.getAttribute('data-done'), { timeout: 20_000 }).toBe('true');
    expect(Number(await table.getAttribute('data-rows'))).toBe(0);
    await leadPage.selectOption('[data-testid="console-source"]', 'backend');
    await expect.poll(async () => Number(await table.getAttribute('data-rows')), { timeout: 20_000 }).toBe(SPECS.length);
    await expect.poll(() => table.getAttribute('data-done'), { timeout: 20_000 }).toBe('true');

    // the statistics of the backend source, from the server's SQL
    await leadPage.click('[data-testid="console-tab-stats"]');
    await expect.poll(async () => (await leadPage.locator('[data-testid="console-stats-totals"]').textContent()) ?? '', { timeout: 20_000 }).toContain(`合计 ${SPECS.length} 件`);
    await leadPage.click('[data-testid="console-tab-cases"]');

    // the server's disagreement filter: the one override
    await leadPage.selectOption('[data-testid="console-filter-disagreement"]', 'yes');
    await leadPage.click('[data-testid="console-filter-apply"]');
    await expect.poll(async () => Number(await table.getAttribute('data-rows')), { timeout: 15_000 }).toBe(1);
    const row = leadPage.locator(`[data-testid="console-row"][data-case="${TARGET}"]`);
    await row.click();
    await leadPage.locator('[data-testid="console-review-form"]').waitFor({ timeout: 15_000 });
    const panel = leadPage.locator('[data-testid="console-case"]');
    expect(await panel.textContent()).toContain('agent-07');
    expect(await panel.textContent()).toContain('违背建议');
    expect(await panel.textContent()).toContain('ws-agent-07');

    await leadPage.check('[data-testid="console-outcome-decision_wrong"]');
    await leadPage.check('[data-testid="console-category-identity_check"]');
    await leadPage.fill('[data-testid="console-review-note"]', NOTE);
    await leadPage.click('[data-testid="console-review-submit"]');
    await leadPage.locator('[data-testid="console-review-posted"]').waitFor({ timeout: 15_000 });
    // the panel reloads the case from the backend: the server's review, once (posted and stored are the same one)
    const reviews = leadPage.locator('[data-testid="console-case-reviews"] li');
    await expect.poll(() => reviews.count(), { timeout: 15_000 }).toBe(1);
    const text = (await reviews.first().textContent()) ?? '';
    expect(text).toContain('决定错误');
    expect(text).toContain('lead-qa');
    expect(text).toContain('身份核验');
    expect(text).toContain(NOTE);
    await leadPage.screenshot({ path: join(SCREENSHOTS, 'review-roundtrip-lead.png') });
  });

  it('the agent’s workstation pulls the review at its next sync: a review.received event, and 案件记录 shows the outcome', async () => {
    let received: CaseEvent | undefined;
    await expect
      .poll(
        async () => {
          const r = await invoke(agentHost, 'cases.get', { caseId: TARGET });
          received = r.ok ? (r.value as { events: CaseEvent[] }).events.find((e) => e.type === 'review.received') : undefined;
          return received !== undefined;
        },
        { timeout: 45_000, interval: 1000 },
      )
      .toBe(true);
    expect(received).toMatchObject({ caseId: TARGET, actor: 'lead-qa', payload: { outcome: 'overturned' } });
    expect(decodeReviewNote(String(received!.payload.note))).toEqual({ categories: ['identity_check'], note: NOTE });

    await agentPage.goto(agentHost.url);
    await agentPage.waitForSelector('[data-testid="status-connection"]');
    await agentPage.click('[data-testid="nav-cases"]');
    const row = agentPage.locator(`[data-testid="case-row"][data-case-id="${TARGET}"]`);
    await row.waitFor({ timeout: 15_000 });
    // the 复核 column
    expect(await row.locator('td').nth(7).textContent()).toBe('推翻');
    expect(await agentPage.locator('[data-testid="case-row"][data-case-id="case-rt-pass-1"] td').nth(7).textContent()).toBe('—');
    await agentPage.screenshot({ path: join(SCREENSHOTS, 'review-roundtrip-agent.png') });
    // and the case's own page lists the event in its chain
    await row.click();
    const event = agentPage.locator('[data-testid="case-event"][data-type="review.received"]');
    await event.waitFor({ timeout: 15_000 });
    expect(await event.textContent()).toContain('组长复核');
  });

  it('the review.received event goes back up with the agent’s next push: the lead sees it in the server’s copy', async () => {
    await expect
      .poll(
        async () => {
          const r = await backendGet(`/api/v1/lead/cases/${TARGET}`, leadToken);
          const body = r.body as { chainValid?: boolean; events?: CaseEvent[] };
          return body.chainValid === true && (body.events ?? []).some((e) => e.type === 'review.received');
        },
        { timeout: 30_000, interval: 1000 },
      )
      .toBe(true);
  });
});
