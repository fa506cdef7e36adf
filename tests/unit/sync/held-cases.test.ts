/**
 * A case the real backend refuses on its own (a forked chain: CHAIN_FORK with its caseId) is set aside and the
 * other cases keep syncing in the same run (issue 10 item 6); `veridesk cases held` lists it and
 * `veridesk cases release` puts it back in the queue.
 */
import Database from 'better-sqlite3';
import { Command } from 'commander';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildServer } from '../../../server/app';
import { createToken } from '../../../server/auth/tokens';
import { openPglite, type ServerDb } from '../../../server/db/database';
import { migrateServer } from '../../../server/db/migrations';
import { FileKeyProvider } from '../../../src/main/caselog/key-provider';
import { seedCases } from '../../../src/main/caselog/seed';
import { CaseStore } from '../../../src/main/caselog/store';
import { registerHeldCommands } from '../../../src/main/cli/held-commands';
import { silentLogger } from '../../../src/main/log/logger';
import { CaseSync } from '../../../src/main/sync/case-sync';
import { SyncClient, type HeldNotice } from '../../../src/main/sync/sync-client';
import type { SyncStatus } from '../../../src/shared/cases';

let db: ServerDb;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vd-held-'));
  db = await openPglite();
  await migrateServer(db);
});
afterAll(async () => {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

const serverEventCount = async (caseIds: string[]) => Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM events WHERE case_id = ANY($1::text[])', [caseIds])).rows[0]!.n);

/** Runs `veridesk cases <args>` in this process (the held commands only) and returns what it printed. */
async function cli(args: string[]): Promise<{ out: string; err: string; exitCode: number }> {
  const program = new Command('veridesk').exitOverride();
  registerHeldCommands(program.command('cases'));
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  const before = process.exitCode;
  process.exitCode = 0;
  try {
    await program.parseAsync(['node', 'veridesk', 'cases', ...args]);
    return { out: out.join('\n'), err: err.join('\n'), exitCode: Number(process.exitCode ?? 0) };
  } finally {
    process.exitCode = before;
    log.mockRestore();
    error.mockRestore();
  }
}

describe('a case the backend refuses is held; the others sync', () => {
  it('CHAIN_FORK sets that case aside with a notice, the rest go up in the same run; cases held / cases release', async () => {
    const path = join(dir, 'cases.db');
    const openStore = () => CaseStore.open({ path, keyProvider: new FileKeyProvider(`${path}.key`) });
    let store = openStore();
    // named after the store's workstation id: the server checks the batches' signed checkpoints against it
    const token = await createToken(db, store.workstationId);
    const app = await buildServer({ db, logger: silentLogger });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const origin = new URL(url).origin;
    try {
      seedCases(store, { count: 3, seed: 21 });
      await new SyncClient({ store, serverUrl: url, token }).syncOnce();
      const victim = store.listCases()[0]!.caseId;
      store.close();

      // the local chain of an already-synced case is rewritten and queued again: the server holds another event there
      const raw = new Database(path);
      raw.exec('DROP TRIGGER IF EXISTS events_no_update');
      raw.prepare("UPDATE events SET hash = ? WHERE case_id = ? AND seq = 1").run('f'.repeat(64), victim);
      raw.prepare('INSERT INTO outbox (case_id, seq, created_at) VALUES (?, 1, ?)').run(victim, Date.now());
      raw.close();

      store = openStore();
      seedCases(store, { count: 4, seed: 22 });
      const fresh = store.listCases().filter((c) => c.caseId !== victim);
      const expectedOnServer = fresh.reduce((n, c) => n + c.eventCount, 0);
      const held: HeldNotice[] = [];
      const statuses: SyncStatus[] = [];
      const sync = new CaseSync({ store, tokenFor: () => token, log: silentLogger, onStatus: (s) => statuses.push(s), onHeld: (h) => held.push(h), client: { intervalMs: 50 } });
      await sync.connect(url);
      await expect.poll(() => store.pendingCount() === 0 && store.heldCount() === 1, { timeout: 20_000 }).toBe(true);
      await sync.stop();

      expect(held).toEqual([{ caseId: victim, server: origin, code: 'CHAIN_FORK', message: expect.stringContaining(`case ${victim} seq 1`), seq: 1 }]);
      expect(statuses.some((s) => s.held === 1 && s.state === 'idle' && s.lastError === null)).toBe(true);
      // within the run that met the refusal: no attempt failed on the way
      expect(statuses.filter((s) => s.lastError !== null || s.state === 'backoff' || s.state === 'blocked')).toEqual([]);
      // the other cases all went up (in the run that found the fork), and the forged event did not
      expect(await serverEventCount(fresh.map((c) => c.caseId))).toBe(expectedOnServer);
      const storedVictim = await db.query<{ hash: string }>('SELECT hash FROM events WHERE case_id = $1 AND seq = 1', [victim]);
      expect(storedVictim.rows[0]!.hash).not.toBe('f'.repeat(64));
      store.close();

      // cases held: case, server, code, message, seq, time
      const listed = await cli(['held', '--db', path, '--json']);
      expect(listed.exitCode).toBe(0);
      expect(JSON.parse(listed.out)).toEqual([{ caseId: victim, server: origin, code: 'CHAIN_FORK', message: expect.stringContaining('differs'), seq: 1, heldAt: expect.any(Number) }]);
      const text = await cli(['held', '--db', path]);
      expect(text.out.split('\t').slice(0, 4)).toEqual([victim, origin, 'CHAIN_FORK', 'seq 1']);

      // cases release: back in the queue (its one queued event pending again), once
      const released = await cli(['release', victim, '--db', path]);
      expect(released).toMatchObject({ exitCode: 0, out: expect.stringContaining(`released ${victim}`) });
      store = openStore();
      expect(store.heldCount()).toBe(0);
      expect(store.pendingCount()).toBe(1);
      store.close();
      expect(await cli(['release', victim, '--db', path])).toMatchObject({ exitCode: 1, err: expect.stringContaining('not held') });
      expect((await cli(['held', '--db', path])).out).toBe('no held cases');

      // released, it is sent again; the backend still refuses the fork, so it is held again and nothing else breaks
      store = openStore();
      expect(await new SyncClient({ store, serverUrl: url, token }).syncOnce()).toMatchObject({ held: 1, pending: 0 });
      expect(store.heldCases()).toEqual([expect.objectContaining({ caseId: victim, code: 'CHAIN_FORK' })]);
    } finally {
      store.close();
      await app.close();
    }
  });
});
