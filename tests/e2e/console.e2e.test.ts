import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileKeyProvider } from '../../src/main/caselog/key-provider';
import { buildExport, type ExportBundle } from '../../src/main/caselog/export-bundle';
import { CaseStore } from '../../src/main/caselog/store';
import { seedConsoleCases } from '../../src/main/console/demo-seed';
import { launchChromium } from './support/browser';
import { REPO_ROOT, startHost, type RunningHost } from './support/host';
import { createServerToken, startServer, type RunningServer } from './support/server';

const SCREENSHOTS = join(REPO_ROOT, 'test-results/screenshots');
const CASES = 160;

let server: RunningServer;
let host: RunningHost;
let browser: Browser;
let page: Page;
let workstationToken: string;
/** What the seeded log's chained decision events say, independently of the console's facts. */
let overridden: string[];
let forgedFile: string;
let signer: string;

/** One request to main over the host's WebSocket, as another program on the machine would send it. */
function invoke(method: string, params: unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${host.origin.replace(/^http/, 'ws')}/ws`, ['veridesk.v1', `k.${host.secret}`]);
    socket.on('open', () => socket.send(JSON.stringify({ id: 1, method, params })));
    socket.on('message', (data, binary) => {
      if (binary) return;
      const message = JSON.parse(String(data)) as { kind: string; result?: unknown };
      if (message.kind !== 'response') return;
      socket.close();
      resolve(message.result);
    });
    socket.on('error', reject);
  });
}

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  // tokens first: the embedded PGlite belongs to one process at a time
  const serverDir = await mkdtemp(join(tmpdir(), 'veridesk-console-server-'));
  const leadToken = await createServerToken({ dataDir: serverDir }, 'lead-qa', 'lead');
  workstationToken = await createServerToken({ dataDir: serverDir }, 'ws-console', 'workstation');
  server = await startServer({ dataDir: serverDir });

  // an agent's log, seeded the way the desk writes cases; then a bundle of it, forged after signing
  const dataDir = await mkdtemp(join(tmpdir(), 'veridesk-console-e2e-'));
  const store = CaseStore.open({ path: join(dataDir, 'cases.db'), keyProvider: new FileKeyProvider(join(dataDir, 'cases.db.key')) });
  try {
    seedConsoleCases(store, { count: CASES, agents: 6, days: 20, seed: 5 });
    const decisions = store.db.prepare("SELECT case_id, payload FROM events WHERE type = 'decision.made'").all() as { case_id: string; payload: string }[];
    overridden = decisions.filter((d) => (JSON.parse(d.payload) as { against?: boolean }).against === true).map((d) => d.case_id).sort();
    const bundle = buildExport(store, { caseIds: overridden.slice(0, 3) });
    signer = bundle.signer.fingerprint;
    const forged = JSON.parse(JSON.stringify(bundle)) as ExportBundle;
    // the override erased from the record after it was signed
    const decision = forged.cases[0]!.events.find((e) => e.type === 'decision.made')!;
    decision.payload.against = false;
    forgedFile = join(dataDir, 'forged-bundle.json');
    writeFileSync(forgedFile, JSON.stringify(forged));
  } finally {
    store.close();
  }
  expect(overridden.length).toBeGreaterThan(2);
  writeFileSync(join(dataDir, 'settings.json'), JSON.stringify({ backendUrl: server.url }));
  host = await startHost({ dataDir, args: ['--no-engine'], env: { VERIDESK_BACKEND_TOKEN: leadToken } });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
  await page.goto(host.url);
  await page.waitForSelector('[data-testid="status-connection"]');
});

afterAll(async () => {
  await browser?.close();
  await host?.stop();
  await server?.stop();
});

const table = () => page.locator('[data-testid="console-table"]');
const rowIds = () => page.locator('[data-testid="console-row"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-case') ?? ''));

describe('质检 console in Chromium through the headless host', () => {
  it('opens for a lead token and shows the seeded cases', async () => {
    expect(await page.locator('[data-testid="nav-console"]').textContent()).toBe('质检');
    await page.click('[data-testid="nav-console"]');
    await page.locator('[data-testid="page-console"]').waitFor({ timeout: 20_000 });
    expect(await page.locator('[data-testid="console-whoami"]').textContent()).toContain('lead-qa');
    await expect.poll(() => table().getAttribute('data-done'), { timeout: 20_000 }).toBe('true');
    expect(Number(await table().getAttribute('data-rows'))).toBe(CASES);
    expect(await page.locator('[data-testid="console-table-foot"]').textContent()).toContain(`已加载 ${CASES} 件`);
    // virtualised: only the rows on screen are in the DOM
    const rendered = await page.locator('[data-testid="console-row"]').count();
    expect(rendered).toBeGreaterThan(5);
    expect(rendered).toBeLessThan(CASES);
    await page.screenshot({ path: join(SCREENSHOTS, 'console.png') });
  });

  it('the disagreement filter shows exactly the overridden cases', async () => {
    await page.selectOption('[data-testid="console-filter-disagreement"]', 'yes');
    await page.click('[data-testid="console-filter-apply"]');
    await expect.poll(async () => Number(await table().getAttribute('data-rows')), { timeout: 15_000 }).toBe(overridden.length);
    expect((await rowIds()).sort()).toEqual(overridden);
    expect(await page.locator('[data-testid="console-row"][data-against="false"]').count()).toBe(0);
    expect(await page.locator('[data-testid="console-against"]').first().textContent()).toContain('违背建议');
  });

  it('opens a case with the review form and its one-page print report', async () => {
    await page.locator('[data-testid="console-row"]').first().click();
    await page.locator('[data-testid="console-review-form"]').waitFor();
    expect(await page.locator('[data-testid="console-case"]').textContent()).toContain('违背建议');
    await page.click('[data-testid="console-report-open"]');
    await page.locator('[data-testid="console-report"]').waitFor();
    expect(await page.locator('[data-testid="console-report"]').textContent()).toContain('案件质检报告');
    await page.screenshot({ path: join(SCREENSHOTS, 'console-report.png'), fullPage: true });
    const pdf = await page.pdf({ format: 'A4' });
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    await page.click('text=返回');
  });

  it('draws statistics with ECharts and downloads the numbers behind a chart as CSV', async () => {
    await page.selectOption('[data-testid="console-filter-disagreement"]', '');
    await page.click('[data-testid="console-filter-apply"]');
    await page.click('[data-testid="console-tab-stats"]');
    await page.locator('[data-testid="console-chart-daily"] canvas').first().waitFor({ timeout: 20_000 });
    for (const chart of ['daily', 'agents', 'overrides', 'failed', 'handle', 'escalations']) {
      expect(await page.locator(`[data-testid="console-chart-${chart}"] canvas`).count(), chart).toBeGreaterThan(0);
    }
    expect(await page.locator('[data-testid="console-stats-totals"]').textContent()).toContain(`合计 ${CASES} 件`);
    const download = page.waitForEvent('download');
    await page.click('[data-testid="console-csv-agents"]');
    const file = await (await download).path();
    const csv = readFileSync(file!, 'utf8');
    expect(csv).toMatch(/^\uFEFFagent_id,cases,decided,passed,pass_rate,/);
    expect(csv.trim().split('\r\n')).toHaveLength(1 + 6);
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(SCREENSHOTS, 'console-stats.png') });
  });

  it('refuses an imported forged bundle and says why on screen', async () => {
    await page.click('[data-testid="console-tab-import"]');
    await page.setInputFiles('[data-testid="console-import-file"]', forgedFile);
    await page.fill('[data-testid="console-import-fingerprint"]', signer);
    await page.click('[data-testid="console-import-submit"]');
    const refused = page.locator('[data-testid="console-import-refused"]');
    await refused.waitFor({ timeout: 15_000 });
    expect(await refused.getAttribute('data-reason')).toBe('signature_invalid');
    expect(await refused.textContent()).toContain('已拒绝导入：签名无效');
    // nothing was imported
    await page.selectOption('[data-testid="console-source"]', 'bundle');
    await page.click('[data-testid="console-tab-cases"]');
    await expect.poll(() => table().getAttribute('data-done'), { timeout: 15_000 }).toBe('true');
    expect(Number(await table().getAttribute('data-rows'))).toBe(0);
  });

  it('a workstation token sees the 403 page', async () => {
    expect(await invoke('settings.setBackendToken', { token: workstationToken })).toMatchObject({ ok: true });
    const forbidden = page.locator('[data-testid="console-forbidden"]');
    await forbidden.waitFor({ timeout: 15_000 });
    expect(await forbidden.getAttribute('data-reason')).toBe('not_lead');
    expect(await page.locator('[data-testid="console-forbidden-text"]').textContent()).toContain('不是组长令牌');
    expect(await forbidden.textContent()).toContain('403');
    // and main refuses the console's requests for it, whatever the page shows
    expect(await invoke('console.list', { filter: {} })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    await page.screenshot({ path: join(SCREENSHOTS, 'console-403.png') });
  });
});
