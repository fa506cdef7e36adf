/**
 * The server as the outside anchor (issue 10 item 2), end to end on a real backend (Fastify + PGlite) and a real
 * case log file: after sync, a user who holds the local key rolls the log back or rewrites it consistently — the
 * local verify cannot tell — and `verify --server` names it, and the server refuses the next batch.
 */
import Database from 'better-sqlite3';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../../server/app';
import { createToken } from '../../../server/auth/tokens';
import { openPglite, type ServerDb } from '../../../server/db/database';
import { migrateServer } from '../../../server/db/migrations';
import { computeEventHash } from '../../../src/common/chain';
import { canonicalJson } from '../../../src/common/canonical';
import { LEDGER_GENESIS, ledgerStep } from '../../../src/common/ledger';
import { StaticKeyProvider } from '../../../src/main/caselog/key-provider';
import { deriveKeys } from '../../../src/main/caselog/keys';
import { headMac, sealOf } from '../../../src/main/caselog/ledger';
import { verifyAgainstServer } from '../../../src/main/caselog/server-verify';
import { CaseStore } from '../../../src/main/caselog/store';
import { silentLogger } from '../../../src/main/log/logger';
import { SyncClient, SyncError } from '../../../src/main/sync/sync-client';
import { GENESIS_HASH, type CaseEvent } from '../../../src/shared/cases';

let dir: string;
let db: ServerDb;
let app: FastifyInstance;
let url: string;
const key = new StaticKeyProvider(Buffer.alloc(32, 6));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vd-anchor-'));
  db = await openPglite(join(dir, 'pglite'));
  await migrateServer(db);
  app = await buildServer({ db, logger: silentLogger });
  url = await app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await app.close();
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

function makeCase(store: CaseStore, checks = 2): string {
  const c = store.openCase({ agentId: 'agent-3', serviceType: 'operate' });
  for (let i = 0; i < checks; i++) store.append({ caseId: c.caseId, type: 'check.result', actor: 'engine', payload: { check: 'face_match', status: 'pass', score: 0.7 + i / 10 } });
  store.closeCase(c.caseId, { verdict: 'verified', actor: 'agent-3' });
  return c.caseId;
}

async function workstation(name: string) {
  const token = await createToken(db, name);
  const path = join(dir, `${name}.db`);
  const open = () => CaseStore.open({ path, keyProvider: key });
  const sync = (store: CaseStore) => new SyncClient({ store, serverUrl: url, token, logger: silentLogger }).syncOnce();
  return { token, path, open, sync };
}

/**
 * What a user holding the master key can do: change an event and recompute everything the key covers — the
 * case chain, the seals, the running ledger hash and the head's MAC — so the local verify passes.
 */
function rewriteWithKey(path: string, caseId: string, seq: number, payload: Record<string, unknown>): void {
  const keys = deriveKeys(key);
  const raw = new Database(path);
  raw.exec('DROP TRIGGER events_no_update');
  raw.prepare('UPDATE events SET payload = ? WHERE case_id = ? AND seq = ?').run(canonicalJson(payload), caseId, seq);
  const rows = raw.prepare('SELECT * FROM events WHERE case_id = ? ORDER BY seq').all(caseId) as { seq: number; type: string; at: number; actor: string; payload: string; gseq: number }[];
  let prev = GENESIS_HASH;
  for (const r of rows) {
    const e: Omit<CaseEvent, 'hash'> = { caseId, seq: r.seq, type: r.type as CaseEvent['type'], at: r.at, actor: r.actor, payload: JSON.parse(r.payload) as Record<string, unknown>, prevHash: prev };
    const hash = computeEventHash(e);
    raw.prepare('UPDATE events SET prev_hash = ?, hash = ?, seal = ? WHERE case_id = ? AND seq = ?').run(prev, hash, sealOf(keys.ledgerKey, { gseq: r.gseq, caseId, seq: r.seq, hash }), caseId, r.seq);
    prev = hash;
  }
  raw.prepare('UPDATE cases SET last_hash = ? WHERE case_id = ?').run(prev, caseId);
  let ledger = LEDGER_GENESIS;
  for (const r of raw.prepare('SELECT gseq, hash FROM events ORDER BY gseq').all() as { gseq: number; hash: string }[]) {
    ledger = ledgerStep(ledger, r.gseq, r.hash);
    raw.prepare('UPDATE events SET ledger_hash = ? WHERE gseq = ?').run(ledger, r.gseq);
  }
  const head = raw.prepare('SELECT gseq, at FROM ledger_head').get() as { gseq: number; at: number };
  raw.prepare('UPDATE ledger_head SET ledger_hash = ?, mac = ?').run(ledger, headMac(keys.ledgerKey, { gseq: head.gseq, ledgerHash: ledger, at: head.at }));
  // the acknowledged checkpoint is in the same file: a user with write access can align it too
  raw.prepare('DELETE FROM sync_acknowledged').run();
  raw.exec("CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'case log events are append-only'); END;");
  raw.close();
}

describe('verify --server: the backend holds the log to what it already received', () => {
  it('an untouched log agrees with every checkpoint the server holds', async () => {
    const ws = await workstation('anchor-clean');
    const store = ws.open();
    makeCase(store);
    await ws.sync(store);
    makeCase(store);
    await ws.sync(store);
    const report = await verifyAgainstServer(store, { serverUrl: url, token: ws.token });
    expect(report.ok).toBe(true);
    expect(report.server.checkpoints).toBe(2);
    expect(report.server.head?.gseq).toBe(8);
    store.close();
  });

  it('rollback: an older copy of the file put back is named (first missing case and seq), and the server refuses the next batch', async () => {
    const ws = await workstation('anchor-rollback');
    let store = ws.open();
    makeCase(store);
    await ws.sync(store);
    store.close();
    copyFileSync(ws.path, `${ws.path}.older`);
    store = ws.open();
    const lost = makeCase(store);
    await ws.sync(store);
    store.close();
    copyFileSync(`${ws.path}.older`, ws.path);
    rmSync(`${ws.path}-wal`, { force: true });
    store = ws.open();
    // consistent on its own: the local key holder's copy verifies
    expect(store.verify().ok).toBe(true);
    const report = await verifyAgainstServer(store, { serverUrl: url, token: ws.token });
    expect(report.ok).toBe(false);
    expect(report.breaks[0]).toMatchObject({ caseId: lost, seq: 1, reason: 'CHECKPOINT_ROLLBACK', gseqFrom: 5 });
    expect(report.breaks).toContainEqual(expect.objectContaining({ reason: 'CHECKPOINT_ROLLBACK', gseqFrom: 5, gseqTo: 8 }));
    // new work on the rolled-back log takes positions the server already holds for other events
    makeCase(store);
    const refused = await ws.sync(store).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SyncError);
    expect((refused as SyncError).code).toMatch(/^CHECKPOINT_(ROLLBACK|FORK)$/);
    store.close();
  });

  it('rewrite with the key: an event changed after sync is named by case and seq, and the server refuses the next batch', async () => {
    const ws = await workstation('anchor-rewrite');
    let store = ws.open();
    const target = makeCase(store);
    makeCase(store);
    await ws.sync(store);
    store.close();
    rewriteWithKey(ws.path, target, 2, { check: 'face_match', status: 'pass', score: 0.99 });
    store = ws.open();
    // the key holder made the file consistent: the local verify passes
    expect(store.verify().ok).toBe(true);
    const report = await verifyAgainstServer(store, { serverUrl: url, token: ws.token });
    expect(report.ok).toBe(false);
    expect(report.breaks[0]).toMatchObject({ caseId: target, seq: 2, reason: 'CHECKPOINT_FORK' });
    makeCase(store);
    const refused = await ws.sync(store).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SyncError);
    expect((refused as SyncError).code).toBe('CHECKPOINT_FORK');
    store.close();
  });
});
