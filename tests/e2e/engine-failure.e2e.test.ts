import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testdata } from '../support/testdata';
import { launchChromium } from './support/browser';
import { startHost, type RunningHost } from './support/host';

let host: RunningHost;
let browser: Browser;

beforeAll(async () => {
  // A models folder whose manifest names files that are not there: every engine start fails.
  const models = await mkdtemp(join(tmpdir(), 'veridesk-broken-models-'));
  await writeFile(join(models, 'manifest.json'), '{"package":"x","models":{}}');
  host = await startHost({ args: ['--models', models] });
  browser = await launchChromium({ fakeCamera: testdata('faces/video/still-photo-attack.y4m') });
});

afterAll(async () => {
  await browser?.close();
  await host?.stop();
});

describe('a face engine that cannot load its models', () => {
  it('does not take the app down: the status bar and a notice say so, the camera and frame path keep working', async () => {
    const page = await browser.newPage();
    await page.goto(host.url);
    const provider = page.locator('[data-testid="status-provider"]');
    await expect.poll(() => provider.textContent(), { timeout: 60_000 }).toMatch(/重启中|故障/);
    await expect.poll(() => page.locator('[data-testid="notice"]').allTextContents(), { timeout: 60_000 }).toContain('分析引擎已重新启动。×');
    expect(await provider.getAttribute('title')).toMatch(/npm run models|manifest/);
    await page.click('[data-testid="camera-toggle"]');
    await expect.poll(async () => Number(await page.locator('[data-testid="fps-agent"]').textContent()), { timeout: 15_000 }).toBeGreaterThan(0);
    expect(host.process.exitCode).toBeNull();
  });
});
