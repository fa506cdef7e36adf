/**
 * Moving sync to another backend (issue 10 item 6): the old client is stopped — its request in flight aborted —
 * before the new one sends anything, connect() calls apply one at a time, and the review cursor is per backend.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaticKeyProvider } from '../../../src/main/caselog/key-provider';
import { seedCases } from '../../../src/main/caselog/seed';
import { CaseStore } from '../../../src/main/caselog/store';
import { silentLogger } from '../../../src/main/log/logger';
import { CaseSync } from '../../../src/main/sync/case-sync';
import { cursorKey, SyncClient } from '../../../src/main/sync/sync-client';
import { acceptAll, json, startFakeBackend, type FakeBackend } from './fake-backend';

let dir: string;
const key = new StaticKeyProvider(Buffer.alloc(32, 5));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vd-switch-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A fetch that logs when each request starts and settles, per origin, and whether two origins ever overlapped. */
function tracingFetch() {
  const log: { origin: string; phase: 'start' | 'settled'; at: number }[] = [];
  const inFlight = new Map<string, number>();
  let overlapped = false;
  const traced: typeof fetch = async (input, init) => {
    const origin = new URL(String(input)).origin;
    inFlight.set(origin, (inFlight.get(origin) ?? 0) + 1);
    if ([...inFlight].some(([o, n]) => o !== origin && n > 0)) overlapped = true;
    log.push({ origin, phase: 'start', at: performance.now() });
    try {
      return await fetch(input, init);
    } finally {
      inFlight.set(origin, inFlight.get(origin)! - 1);
      log.push({ origin, phase: 'settled', at: performance.now() });
    }
  };
  return { fetch: traced, log, overlapped: () => overlapped };
}

describe('CaseSync moving between backends', () => {
  it('stops the old client (aborting its request in flight) before the new one starts; nothing reaches the old backend after connect resolved', async () => {
    const store = CaseStore.open({ path: join(dir, 'switch.db'), keyProvider: key });
    seedCases(store, { count: 4, seed: 11 });
    // the old backend takes the batch and never answers: the request stays in flight until aborted
    const old = await startFakeBackend((request, response) => {
      if (request.path.startsWith('/api/v1/sync/batches')) return;
      acceptAll(request, response, undefined as never);
    });
    const next = await startFakeBackend();
    const trace = tracingFetch();
    const sync = new CaseSync({ store, tokenFor: () => 'vd_t', log: silentLogger, onStatus: () => undefined, client: { fetch: trace.fetch, intervalMs: 30 } });
    try {
      await sync.connect(old.url);
      await expect.poll(() => old.requests.filter((r) => r.path === '/api/v1/sync/batches').length, { timeout: 5_000 }).toBe(1);
      await sync.connect(next.url);
      const resolvedAt = performance.now();
      const oldSettled = trace.log.filter((e) => e.origin === old.origin && e.phase === 'settled');
      // the hanging request was aborted, and that happened before connect() resolved
      expect(oldSettled.length).toBeGreaterThan(0);
      expect(oldSettled.at(-1)!.at).toBeLessThanOrEqual(resolvedAt);
      await expect.poll(() => old.requests[0]?.aborted, { timeout: 5_000 }).toBe(true);
      const seenByOld = old.requests.length;
      await expect.poll(() => store.pendingCount(), { timeout: 10_000 }).toBe(0);
      await sleep(150);
      expect(old.requests.length).toBe(seenByOld);
      expect(trace.log.filter((e) => e.origin === old.origin && e.phase === 'start').every((e) => e.at < resolvedAt)).toBe(true);
      // the new backend's first request came after the old one's last settled: never two pushing at once
      const firstNew = trace.log.find((e) => e.origin === next.origin && e.phase === 'start')!;
      expect(firstNew.at).toBeGreaterThanOrEqual(oldSettled.at(-1)!.at);
      expect(trace.overlapped()).toBe(false);
    } finally {
      await sync.stop();
      await old.close();
      await next.close();
      store.close();
    }
  });

  it('applies connect() calls one at a time: a burst of URL changes ends on the last, with no two backends in flight at once', async () => {
    const store = CaseStore.open({ path: join(dir, 'burst.db'), keyProvider: key });
    seedCases(store, { count: 3, seed: 12 });
    const backends = await Promise.all([startFakeBackend(), startFakeBackend(), startFakeBackend()]);
    const trace = tracingFetch();
    const sync = new CaseSync({ store, tokenFor: () => 'vd_t', log: silentLogger, onStatus: () => undefined, client: { fetch: trace.fetch, intervalMs: 20 } });
    try {
      const switches = [];
      for (let round = 0; round < 3; round++) for (const b of backends) switches.push(sync.connect(b.url));
      await Promise.all(switches);
      const resolvedAt = performance.now();
      const last = backends.at(-1)!;
      const before = last.requests.length;
      await expect.poll(() => last.requests.length, { timeout: 5_000 }).toBeGreaterThan(before);
      await sleep(100);
      // only the last backend is still being talked to (judged on when requests started: one sent just before
      // the last switch may reach its backend, in this same process, a little later)
      const startedAfter = trace.log.filter((e) => e.phase === 'start' && e.at > resolvedAt).map((e) => e.origin);
      expect(new Set(startedAfter)).toEqual(new Set([last.origin]));
      expect(sync.status()).toMatchObject({ server: last.origin });
      expect(trace.overlapped()).toBe(false);
    } finally {
      await sync.stop();
      await Promise.all(backends.map((b) => b.close()));
      store.close();
    }
  });

  it('keeps the review cursor per backend origin, and moves the single cursor of older versions to the backend in effect', async () => {
    const store = CaseStore.open({ path: join(dir, 'cursor.db'), keyProvider: key });
    seedCases(store, { count: 2, seed: 13 });
    const caseId = store.listCases()[0]!.caseId;
    // a log from before per-server cursors: one cursor, for whatever backend was configured then
    store.setMeta('sync.cursor', '40');
    const sinceAsked = (b: FakeBackend) => b.requests.filter((r) => r.path.startsWith('/api/v1/sync/changes')).map((r) => Number(new URL(r.path, 'http://x').searchParams.get('since')));
    const a = await startFakeBackend((request, response) => {
      if (!request.path.startsWith('/api/v1/sync/changes')) return acceptAll(request, response, undefined as never);
      const since = Number(new URL(request.path, 'http://x').searchParams.get('since'));
      if (since < 41) return json(response, 200, { reviews: [{ reviewId: 41, caseId, outcome: 'confirmed', reviewer: 'lead-1', note: '', createdAt: 1 }], cursor: 41 });
      return json(response, 200, { reviews: [], cursor: since });
    });
    const b = await startFakeBackend();
    try {
      const onA = new SyncClient({ store, serverUrl: a.url, token: 'vd_a' });
      expect(await onA.syncOnce()).toMatchObject({ reviews: 1 });
      expect(sinceAsked(a)).toEqual([40, 41]);
      expect(store.getMeta(cursorKey(a.origin))).toBe('41');
      // another backend has its own review ids: it starts from 0, not from A's cursor nor the migrated one
      const onB = new SyncClient({ store, serverUrl: b.url, token: 'vd_b' });
      await onB.syncOnce();
      expect(sinceAsked(b)).toEqual([0]);
      expect(store.getMeta(cursorKey(b.origin))).toBeNull();
      // and A keeps its own
      await onA.syncOnce();
      expect(sinceAsked(a).at(-1)).toBe(41);
    } finally {
      await a.close();
      await b.close();
      store.close();
    }
  });
});
