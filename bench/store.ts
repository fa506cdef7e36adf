/**
 * npm run bench:store [-- --cases 100000 --drain 10000 --batch 500]
 * Prints: events inserted per second (batched transactions), audit-list query latency over N
 * cases (filter by agent, date, verdict), and the time to drain a backlog of M cases to the
 * server on PGlite (on disk) and on PostgreSQL (throwaway cluster, fsync on).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildServer } from '../server/app';
import { createToken } from '../server/auth/tokens';
import { openPglite, openPostgres, type ServerDb } from '../server/db/database';
import { migrateServer } from '../server/db/migrations';
import { startPostgres } from '../server/testing/pg-harness';
import { StaticKeyProvider } from '../src/main/caselog/key-provider';
import { seedCases } from '../src/main/caselog/seed';
import { CaseStore } from '../src/main/caselog/store';
import { silentLogger } from '../src/main/log/logger';
import { SyncClient } from '../src/main/sync/sync-client';
import type { CaseListFilter } from '../src/shared/cases';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const CASES = arg('cases', 100_000);
const DRAIN = arg('drain', 10_000);
const BATCH = arg('batch', 500);
const NOW = Date.UTC(2026, 0, 1);
const key = new StaticKeyProvider(Buffer.alloc(32, 1));
const dir = mkdtempSync(join(tmpdir(), 'vd-bench-'));

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

console.log(`bench:store — node ${process.version}, ${cpus().length} CPU (${cpus()[0]?.model ?? '?'}), ${new Date().toISOString()}`);
console.log(`conditions: shared machine (other jobs may be running); SQLite WAL synchronous=FULL on ${tmpdir()}; client and server in one process over loopback HTTP`);

// 1. Insert rate.
{
  const store = CaseStore.open({ path: join(dir, 'audit.db'), keyProvider: key, now: () => NOW });
  const t0 = performance.now();
  const events = seedCases(store, { count: CASES, seed: 1, now: NOW, days: 365 });
  const s = (performance.now() - t0) / 1000;
  console.log(`\ninsert: ${CASES} cases, ${events} events in ${s.toFixed(1)} s = ${Math.round(events / s)} events/s (transactions of 500 cases, hash chain + HMAC + outbox per event)`);

  // 2. Audit-list queries.
  const day = 86_400_000;
  const queries: [string, CaseListFilter][] = [
    ['newest 50 (no filter)', {}],
    ['by agent', { agentId: 'agent-07' }],
    ['by date range (30 days)', { from: NOW - 60 * day, to: NOW - 30 * day }],
    ['by verdict', { verdict: 'rejected' }],
    ['agent + date + verdict', { agentId: 'agent-07', verdict: 'needs_review', from: NOW - 180 * day, to: NOW }],
    ['verdict + date, page 5', { verdict: 'verified', from: NOW - 90 * day, to: NOW, offset: 200 }],
  ];
  console.log(`\naudit list over ${store.countCases()} cases (50 rows per page, 300 runs each):`);
  for (const [name, filter] of queries) {
    const times: number[] = [];
    let rows = 0;
    for (let i = 0; i < 300; i++) {
      const t = performance.now();
      rows = store.listCases({ limit: 50, ...filter }).length;
      times.push(performance.now() - t);
    }
    console.log(`  ${name.padEnd(28)} p50 ${pct(times, 50).toFixed(2)} ms  p95 ${pct(times, 95).toFixed(2)} ms  (${rows} rows)`);
  }
  const tv = performance.now();
  const v = store.verify();
  console.log(`  verify all chains: ${v.casesChecked} cases / ${v.eventsChecked} events in ${((performance.now() - tv) / 1000).toFixed(1)} s (${v.ok ? 'ok' : 'BROKEN'})`);
  store.close();
}

// 3. Drain a backlog to the server.
async function drain(name: string, db: ServerDb): Promise<void> {
  await migrateServer(db);
  const token = await createToken(db, `bench-${name.toLowerCase()}-${Date.now().toString(36)}`);
  const app = await buildServer({ db, logger: silentLogger });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const store = CaseStore.open({ path: join(dir, `drain-${name}.db`), keyProvider: key, now: () => NOW });
  seedCases(store, { count: DRAIN, seed: 2, now: NOW });
  const pending = store.pendingCount();
  const client = new SyncClient({ store, serverUrl: address, token, batchSize: BATCH });
  const t0 = performance.now();
  const r = await client.syncOnce();
  const s = (performance.now() - t0) / 1000;
  console.log(`  ${name.padEnd(11)} ${DRAIN} cases / ${pending} events in ${s.toFixed(1)} s = ${Math.round(pending / s)} events/s (${r.batches} batches of ≤${BATCH}; ${store.pendingCount()} left)`);
  store.close();
  await app.close();
  await db.close();
}

console.log(`\ndrain a backlog of ${DRAIN} cases to the server (chain re-verified server-side, one transaction per batch):`);
await drain('PGlite', await openPglite(join(dir, 'pglite')));
const pg = await startPostgres({ durable: true });
if (pg.ok) {
  await drain('PostgreSQL', await openPostgres(pg.cluster.url));
  await pg.cluster.stop();
} else console.log(`  PostgreSQL  skipped: ${pg.reason}`);
rmSync(dir, { recursive: true, force: true });
