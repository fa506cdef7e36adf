/**
 * What sync does with each kind of failure (issue 10 item 6): a refusal a retry cannot fix stops the loop in a
 * visible 'blocked' state until a person acts; a temporary one is retried with backoff. And every batch carries
 * the store's signed checkpoint, whose acknowledgement the store keeps.
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
import { SyncClient } from '../../../src/main/sync/sync-client';
import type { Checkpoint, SyncStatus } from '../../../src/shared/cases';
import { acceptAll, json, startFakeBackend, type FakeBackend, type Handler } from './fake-backend';

let dir: string;
let n = 0;
const key = new StaticKeyProvider(Buffer.alloc(32, 6));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const freshStore = (cases = 2) => {
  const store = CaseStore.open({ path: join(dir, `s${n++}.db`), keyProvider: key });
  seedCases(store, { count: cases, seed: n });
  return store;
};
const batches = (b: FakeBackend) => b.requests.filter((r) => r.path === '/api/v1/sync/batches');
const refuse = (status: number, code: string): Handler => (request, response) =>
  request.path === '/health' ? json(response, 200, {}) : json(response, status, { error: { code, message: `${code} for the test` } });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vd-retry-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sync failures', () => {
  it.each([
    ['UNAUTHENTICATED', 401],
    ['TOKEN_EXPIRED', 401],
    ['FORBIDDEN', 403],
    ['CHECKPOINT_ROLLBACK', 409],
    ['SIGNER_MISMATCH', 409],
    ['MALFORMED_BATCH', 400],
  ])('%s stops retrying: one request, then blocked with the reason until retried', async (code, status) => {
    const backend = await startFakeBackend(refuse(status, code));
    const store = freshStore();
    const statuses: SyncStatus[] = [];
    const client = new SyncClient({ store, serverUrl: backend.url, token: 'vd_t', intervalMs: 10, backoff: { baseMs: 5, maxMs: 10 }, onStatus: (s) => statuses.push(s) });
    try {
      client.start();
      await expect.poll(() => client.status().state, { timeout: 5_000 }).toBe('blocked');
      // with a 5-10 ms backoff a retrying loop would have sent dozens by now
      await sleep(300);
      expect(backend.requests).toHaveLength(1);
      expect(client.status()).toMatchObject({ state: 'blocked', nextAttemptAt: null, lastError: { code } });
      expect(statuses.filter((s) => s.state === 'backoff')).toEqual([]);
      // the agent presses retry (sync.retry): exactly one more attempt, blocked again
      client.retry();
      await expect.poll(() => backend.requests.length, { timeout: 5_000 }).toBe(2);
      await sleep(150);
      expect(backend.requests).toHaveLength(2);
      expect(client.status().state).toBe('blocked');
    } finally {
      await client.stop();
      await backend.close();
      store.close();
    }
  });

  it('a 503 is retried with backoff until the backend is back, then everything goes up', async () => {
    const backend = await startFakeBackend(refuse(503, 'UNAVAILABLE'));
    const store = freshStore();
    const statuses: SyncStatus[] = [];
    const client = new SyncClient({ store, serverUrl: backend.url, token: 'vd_t', intervalMs: 10, backoff: { baseMs: 10, maxMs: 40 }, onStatus: (s) => statuses.push(s) });
    try {
      client.start();
      await expect.poll(() => backend.requests.length, { timeout: 5_000 }).toBeGreaterThanOrEqual(4);
      expect(statuses.some((s) => s.state === 'backoff' && s.lastError?.code === 'UNAVAILABLE' && s.nextAttemptAt !== null)).toBe(true);
      expect(statuses.some((s) => s.state === 'blocked')).toBe(false);
      backend.handle(acceptAll);
      await expect.poll(() => store.pendingCount(), { timeout: 5_000 }).toBe(0);
      await expect.poll(() => client.status().state, { timeout: 5_000 }).toBe('idle');
    } finally {
      await client.stop();
      await backend.close();
      store.close();
    }
  });

  it('a blocked CaseSync starts again when the token changes (refresh) or the same URL is saved again', async () => {
    const backend = await startFakeBackend(refuse(401, 'UNAUTHENTICATED'));
    const store = freshStore();
    let token = 'vd_old';
    const blocked: SyncStatus[] = [];
    const sync = new CaseSync({ store, tokenFor: () => token, log: silentLogger, onStatus: () => undefined, onBlocked: (s) => blocked.push(s), client: { intervalMs: 10, backoff: { baseMs: 5, maxMs: 10 } } });
    try {
      await sync.connect(backend.url);
      await expect.poll(() => sync.status().state, { timeout: 5_000 }).toBe('blocked');
      expect(blocked).toHaveLength(1);
      await sleep(100);
      expect(backend.requests).toHaveLength(1);
      // a new token for this backend
      token = 'vd_new';
      backend.handle(acceptAll);
      await sync.refresh();
      await expect.poll(() => store.pendingCount(), { timeout: 5_000 }).toBe(0);
      expect(backend.requests.at(-1)!.authorization).toBe('Bearer vd_new');
      expect(backend.requests.filter((r) => r.authorization === 'Bearer vd_old')).toHaveLength(1);
    } finally {
      await sync.stop();
      await backend.close();
      store.close();
    }
  });

  it('sends the store’s signed checkpoint with each batch and keeps the acknowledged one', async () => {
    const backend = await startFakeBackend();
    const store = freshStore(3);
    try {
      const result = await new SyncClient({ store, serverUrl: backend.url, token: 'vd_t', batchSize: 10 }).syncOnce();
      expect(result.batches).toBeGreaterThan(1);
      const sent = batches(backend).map((r) => r.body as { events: { gseq?: number }[]; checkpoint?: Checkpoint });
      for (const body of sent) {
        // the checkpoint names the batch's last position
        expect(body.checkpoint).toMatchObject({ gseq: Math.max(...body.events.map((e) => e.gseq!)), ledgerHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
      }
      const last = sent.at(-1)!.checkpoint!;
      expect(store.acknowledgedCheckpoint(backend.origin)).toMatchObject({ gseq: last.gseq, ledgerHash: last.ledgerHash });
    } finally {
      await backend.close();
      store.close();
    }
  });

  it('a resend of the same batch (after a crash before the outbox was cleared) carries the same checkpoint, so the server can replay it', async () => {
    // the first answer is lost (connection dropped after the server had the body)
    let first = true;
    const backend = await startFakeBackend((request, response, raw) => {
      if (request.path === '/api/v1/sync/batches' && first) {
        first = false;
        raw.socket.destroy();
        return;
      }
      acceptAll(request, response, raw);
    });
    const store = freshStore(1);
    try {
      const client = new SyncClient({ store, serverUrl: backend.url, token: 'vd_t' });
      await expect(client.syncOnce()).rejects.toMatchObject({ code: 'UNAVAILABLE' });
      // a fresh checkpoint would carry another time
      await sleep(5);
      await client.syncOnce();
      const [a, b] = batches(backend).map((r) => r.body as { checkpoint: Checkpoint });
      expect(b!.checkpoint).toEqual(a!.checkpoint);
    } finally {
      await backend.close();
      store.close();
    }
  });

  it('a body too large as a whole is split; one event too large alone holds its case and the rest goes on', async () => {
    const store = freshStore(2);
    const [big, small] = store.listCases();
    const backend = await startFakeBackend((request, response, raw) => {
      const body = request.body as { events?: { caseId: string }[] } | null;
      // like a proxy's body limit: no caseId in the answer
      if (request.path === '/api/v1/sync/batches' && body?.events?.some((e) => e.caseId === big!.caseId)) {
        return json(response, 413, { error: { code: 'PAYLOAD_TOO_LARGE', message: 'request body is larger than the server accepts' } });
      }
      acceptAll(request, response, raw);
    });
    try {
      const result = await new SyncClient({ store, serverUrl: backend.url, token: 'vd_t' }).syncOnce();
      expect(result).toMatchObject({ held: 1, pending: 0 });
      expect(store.heldCases()).toEqual([expect.objectContaining({ caseId: big!.caseId, code: 'PAYLOAD_TOO_LARGE' })]);
      const accepted = batches(backend).filter((r) => (r.body as { events: { caseId: string }[] }).events.every((e) => e.caseId === small!.caseId));
      expect(accepted.length).toBeGreaterThan(0);
    } finally {
      await backend.close();
      store.close();
    }
  });
});
