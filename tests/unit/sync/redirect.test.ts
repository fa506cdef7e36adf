/**
 * Redirects are refused wherever the backend token is sent (issue 10 item 6): the backend answers with a 3xx
 * pointing at a second local server, and that second server must record no request at all.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BackendProbe } from '../../../src/main/backend/backend-probe';
import { fetchReferencePhoto } from '../../../src/main/backend/reference-photo';
import { createRoom } from '../../../src/main/call/room-client';
import { SignalingClient } from '../../../src/main/call/signaling-client';
import { StaticKeyProvider } from '../../../src/main/caselog/key-provider';
import { seedCases } from '../../../src/main/caselog/seed';
import { CaseStore } from '../../../src/main/caselog/store';
import { silentLogger } from '../../../src/main/log/logger';
import { SyncClient } from '../../../src/main/sync/sync-client';
import { startFakeBackend, type FakeBackend } from './fake-backend';

const TOKEN = 'vd_token-that-must-not-travel';
let dir: string;
let target: FakeBackend;
let redirecting: FakeBackend;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vd-redirect-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeEach(async () => {
  target = await startFakeBackend();
  // every request answered with a redirect to the same path on the other server
  redirecting = await startFakeBackend((request, response) => {
    response.writeHead(request.path === '/health' ? 301 : 307, { location: `${target.url}${request.path}` });
    response.end();
  });
});
afterEach(async () => {
  await redirecting.close();
  await target.close();
});

describe('no redirect is followed with the token', () => {
  it('sync: a 3xx blocks sync (REDIRECT_REFUSED), is not retried, and the target hears nothing', async () => {
    const store = CaseStore.open({ path: join(dir, 'sync.db'), keyProvider: new StaticKeyProvider(Buffer.alloc(32, 3)) });
    seedCases(store, { count: 2, seed: 1 });
    const pending = store.pendingCount();
    const client = new SyncClient({ store, serverUrl: redirecting.url, token: TOKEN, intervalMs: 20, backoff: { baseMs: 10, maxMs: 20 } });
    client.start();
    await expect.poll(() => client.status().state, { timeout: 5_000 }).toBe('blocked');
    await new Promise((r) => setTimeout(r, 200));
    expect(client.status()).toMatchObject({ state: 'blocked', pending, lastError: { code: 'REDIRECT_REFUSED' } });
    expect(client.status().lastError!.message).toContain(target.url);
    expect(redirecting.requests).toHaveLength(1);
    expect(target.requests).toEqual([]);
    await client.stop();
    store.close();
  });

  it('room creation: BACKEND_REFUSED (REDIRECT_REFUSED), the target hears nothing', async () => {
    await expect(createRoom({ backendUrl: redirecting.url, token: TOKEN, caseId: 'case-1' })).rejects.toMatchObject({ code: 'BACKEND_REFUSED', message: expect.stringMatching(/^REDIRECT_REFUSED/) });
    expect(redirecting.requests).toHaveLength(1);
    expect(target.requests).toEqual([]);
  });

  it('reference photos: refused, the target hears nothing', async () => {
    await expect(fetchReferencePhoto({ backendUrl: redirecting.url, token: TOKEN, customerRef: 'cust-1' })).rejects.toMatchObject({ code: 'BACKEND_REFUSED' });
    expect(target.requests).toEqual([]);
  });

  it('the backend probe: unreachable (redirect not followed), the target hears nothing', async () => {
    const probe = new BackendProbe({ url: () => redirecting.url, onChange: () => undefined });
    expect(await probe.check()).toMatchObject({ state: 'unreachable', detail: 'HTTP 301 (redirect not followed)' });
    expect(target.requests).toEqual([]);
  });

  it('signaling: a redirected WebSocket upgrade is not followed', async () => {
    const client = new SignalingClient({
      url: redirecting.url.replace('http:', 'ws:') + '/api/v1/signal',
      token: TOKEN,
      roomId: 'room-1',
      log: silentLogger,
      backoff: { baseMs: 50, maxMs: 50 },
      onMessage: () => undefined,
      onState: () => undefined,
    });
    client.start();
    await expect.poll(() => redirecting.requests.length, { timeout: 5_000 }).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 200));
    client.stop();
    expect(target.requests).toEqual([]);
  });
});
