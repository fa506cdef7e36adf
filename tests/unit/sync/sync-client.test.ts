import Database from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../../server/app';
import { createToken } from '../../../server/auth/tokens';
import { openPglite, type ServerDb } from '../../../server/db/database';
import { migrateServer } from '../../../server/db/migrations';
import { StaticKeyProvider } from '../../../src/main/caselog/key-provider';
import { seedCases } from '../../../src/main/caselog/seed';
import { CaseStore } from '../../../src/main/caselog/store';
import { silentLogger } from '../../../src/main/log/logger';
import { SyncClient } from '../../../src/main/sync/sync-client';
import type { SyncStatus } from '../../../src/shared/cases';

const key = new StaticKeyProvider(Buffer.alloc(32, 9));
let db: ServerDb;
let dir: string;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

async function startApp(port: number): Promise<FastifyInstance> {
  const app = await buildServer({ db, logger: silentLogger });
  await app.listen({ port, host: '127.0.0.1' });
  return app;
}

/**
 * A workstation token named after the store's workstation id: the server checks each batch's signed checkpoint
 * against the token's workstation name, and the store signs with its own id.
 */
const workstationToken = (store: CaseStore) => createToken(db, store.workstationId);

const serverEvents = async (caseIds: string[]) =>
  (await db.query<{ case_id: string; seq: number; hash: string }>('SELECT case_id, seq, hash FROM events WHERE case_id = ANY($1::text[]) ORDER BY case_id, seq', [caseIds])).rows;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vd-sync-'));
  db = await openPglite();
  await migrateServer(db);
});
afterAll(async () => {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('sync client', () => {
  it('backoff grows exponentially with jitter and is capped', () => {
    const store = CaseStore.open({ path: join(dir, 'b.db'), keyProvider: key });
    const c = new SyncClient({ store, serverUrl: 'https://sync.example', token: 't', backoff: { baseMs: 100, maxMs: 1000 }, random: () => 1 });
    const delays = [1, 2, 3, 4, 5, 6].map((n) => {
      (c as unknown as { failures: number }).failures = n;
      return c.backoffDelay();
    });
    expect(delays).toEqual([100, 200, 400, 800, 1000, 1000]);
    const j = new SyncClient({ store, serverUrl: 'https://sync.example', token: 't', backoff: { baseMs: 100, maxMs: 1000 }, random: () => 0 });
    (j as unknown as { failures: number }).failures = 3;
    expect(j.backoffDelay()).toBe(200);
    store.close();
  });

  it('queues while the server is down, reports status, and drains the backlog after recovery', async () => {
    const port = await freePort();
    const store = CaseStore.open({ path: join(dir, 'down.db'), keyProvider: key });
    const token = await workstationToken(store);
    seedCases(store, { count: 40, seed: 1 });
    const total = store.pendingCount();
    const statuses: SyncStatus[] = [];
    const client = new SyncClient({ store, serverUrl: `http://127.0.0.1:${port}`, token, batchSize: 37, backoff: { baseMs: 50, maxMs: 200 }, intervalMs: 50, onStatus: (s) => statuses.push(s) });
    await expect(client.syncOnce()).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    client.start();
    await new Promise((r) => setTimeout(r, 400));
    expect(client.status()).toMatchObject({ state: 'backoff', pending: total, lastError: { code: 'UNAVAILABLE' } });
    const app = await startApp(port); // the server comes back
    const deadline = Date.now() + 20_000;
    // drained AND the run that drained it finished (it still pulls review outcomes after the last ack)
    const recovered = () => statuses.some((s) => s.state === 'idle' && s.lastSuccessAt !== null && s.lastError === null);
    while ((store.pendingCount() > 0 || !recovered()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await client.stop();
    await app.close();
    expect(store.pendingCount()).toBe(0);
    expect(statuses.some((s) => s.state === 'idle' && s.lastSuccessAt !== null && s.lastError === null)).toBe(true);
    const local = store.db.prepare('SELECT case_id, seq, hash FROM events ORDER BY case_id, seq').all();
    const caseIds = [...new Set((local as { case_id: string }[]).map((r) => r.case_id))];
    expect(await serverEvents(caseIds)).toEqual(local);
    store.close();
  });

  it('pulls team-lead reviews into the case chain once, and pushes that event up', async () => {
    const port = await freePort();
    const app = await startApp(port);
    const leadToken = await createToken(db, 'lead-review', 'lead');
    const store = CaseStore.open({ path: join(dir, 'review.db'), keyProvider: key });
    const token = await workstationToken(store);
    seedCases(store, { count: 3, seed: 2 });
    const client = new SyncClient({ store, serverUrl: `http://127.0.0.1:${port}/`, token });
    await client.syncOnce();
    const caseId = store.listCases()[0]!.caseId;
    const r = await app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/reviews`, headers: { authorization: `Bearer ${leadToken}` }, payload: { outcome: 'overturned', note: 'photo too old' } });
    expect(r.statusCode).toBe(201);
    expect(await client.syncOnce()).toMatchObject({ reviews: 1, accepted: 1, pending: 0 });
    expect((await client.syncOnce()).reviews).toBe(0);
    expect(store.summary(caseId).reviewOutcome).toBe('overturned');
    expect(store.events(caseId).at(-1)).toMatchObject({ type: 'review.received', payload: { outcome: 'overturned', note: 'photo too old' } });
    expect(store.pendingCount()).toBe(0); // the review event itself went up in the same run
    expect((await serverEvents([caseId])).length).toBe(store.events(caseId).length);
    await app.close();
    store.close();
  });

  it('a forged local event is named by verify and refused by the server: that case is held, nothing of it stored, the others sync', async () => {
    const port = await freePort();
    const app = await startApp(port);
    const path = join(dir, 'forge.db');
    let store = CaseStore.open({ path, keyProvider: key });
    seedCases(store, { count: 5, seed: 3 });
    const victim = store.listCases({ verdict: 'verified' })[0] ?? store.listCases()[0]!;
    store.close();
    const raw = new Database(path);
    raw.exec('DROP TRIGGER events_no_update');
    raw.prepare("UPDATE events SET payload = json_set(payload, '$.verdict', 'verified') WHERE case_id = ? AND seq = 2").run(victim.caseId);
    raw.close();
    store = CaseStore.open({ path, keyProvider: key });
    const token = await workstationToken(store);
    const report = store.verify();
    expect(report.breaks[0]).toMatchObject({ caseId: victim.caseId, seq: 2, reason: 'CHAIN_HASH_MISMATCH' });
    const client = new SyncClient({ store, serverUrl: `http://127.0.0.1:${port}`, token, batchSize: 1000 });
    const result = await client.syncOnce();
    expect(result).toMatchObject({ held: 1, pending: 0 });
    expect(store.heldCases()).toEqual([expect.objectContaining({ caseId: victim.caseId, code: 'CHAIN_HASH_MISMATCH', seq: 2, server: `http://127.0.0.1:${port}` })]);
    expect(store.heldCases()[0]!.message).toContain(`case ${victim.caseId} seq 2`);
    expect(await serverEvents([victim.caseId])).toEqual([]);
    const others = store.listCases().filter((c) => c.caseId !== victim.caseId);
    expect((await serverEvents(others.map((c) => c.caseId))).length).toBe(others.reduce((n, c) => n + c.eventCount, 0));
    await app.close();
    store.close();
  });

  it('a wrong token is an UNAUTHENTICATED error that blocks sync (no backoff loop), outbox untouched', async () => {
    const port = await freePort();
    const app = await startApp(port);
    const store = CaseStore.open({ path: join(dir, 'tok.db'), keyProvider: key });
    seedCases(store, { count: 2, seed: 4 });
    const before = store.pendingCount();
    const client = new SyncClient({ store, serverUrl: `http://127.0.0.1:${port}`, token: 'vd_wrongwrongwrong' });
    expect(await client.attempt()).toBeNull();
    expect(client.status()).toMatchObject({ state: 'blocked', pending: before, nextAttemptAt: null, lastError: { code: 'UNAUTHENTICATED' } });
    await app.close();
    store.close();
  });
});
