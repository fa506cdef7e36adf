import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../../server/app';
import { createToken } from '../../../server/auth/tokens';
import { openPglite, type ServerDb } from '../../../server/db/database';
import { migrateServer } from '../../../server/db/migrations';
import type { SyncStatus } from '../../shared/cases';
import { StaticKeyProvider } from '../caselog/key-provider';
import { seedCases } from '../caselog/seed';
import { CaseStore } from '../caselog/store';
import { silentLogger } from '../log/logger';
import { CaseSync } from './case-sync';

let db: ServerDb;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vd-case-sync-'));
  db = await openPglite();
  await migrateServer(db);
});
afterAll(async () => {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('CaseSync (the workstation keeps one sync client on the configured backend)', () => {
  it('is disabled without a token and reports the local backlog', async () => {
    const store = CaseStore.open({ path: join(dir, 'none.db'), keyProvider: new StaticKeyProvider(Buffer.alloc(32, 1)) });
    seedCases(store, { count: 3 });
    const sync = new CaseSync({ store, tokenFor: () => undefined, log: silentLogger, onStatus: () => undefined });
    await sync.connect('http://127.0.0.1:1');
    expect(sync.status()).toMatchObject({ state: 'disabled', pending: store.pendingCount() });
    expect(store.pendingCount()).toBeGreaterThan(0);
    store.close();
  });

  it('moves to a new backend URL, drains the backlog there, and ignores the replaced client', async () => {
    const store = CaseStore.open({ path: join(dir, 'ws.db'), keyProvider: new StaticKeyProvider(Buffer.alloc(32, 2)) });
    seedCases(store, { count: 5 });
    const token = await createToken(db, store.workstationId);
    const app = await buildServer({ db, logger: silentLogger });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const statuses: SyncStatus[] = [];
    const sync = new CaseSync({ store, tokenFor: () => token, log: silentLogger, onStatus: (s) => statuses.push(s) });
    try {
      void sync.connect('http://127.0.0.1:1'); // nothing listens there
      await sync.connect(url);
      await expect.poll(() => sync.status().state === 'idle' && sync.status().pending === 0, { timeout: 20_000 }).toBe(true);
      expect(statuses.at(-1)).toMatchObject({ state: 'idle', pending: 0, lastError: null });
      // the first client's failure against the dead URL must never reach the status bar
      expect(statuses.filter((s) => s.lastError !== null)).toEqual([]);
      const stored = await db.query<{ n: string }>('SELECT count(*) AS n FROM events');
      expect(Number(stored.rows[0]!.n)).toBeGreaterThan(0);
    } finally {
      await sync.stop();
      await app.close();
      store.close();
    }
  });
});
