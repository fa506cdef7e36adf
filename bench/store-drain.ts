/**
 * The drain benchmark (bench/store.ts section 3): a workstation's backlog of cases pushed to the server by the
 * real SyncClient over loopback HTTP, on PGlite (on disk) and on PostgreSQL (throwaway cluster, fsync on), each
 * against its physical reference: the same rows loaded with COPY into the same tables (bench/drain-copy.ts).
 */
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { buildServer } from '../server/app';
import { createToken } from '../server/auth/tokens';
import { openPglite, openPostgres, type ServerDb } from '../server/db/database';
import { migrateServer } from '../server/db/migrations';
import { startPostgres } from '../server/testing/pg-harness';
import type { CaseStore } from '../src/main/caselog/store';
import { silentLogger } from '../src/main/log/logger';
import { SyncClient } from '../src/main/sync/sync-client';
import { copyReferencePglite, copyReferencePostgres, type CopyFigures } from './drain-copy';

export interface DrainOptions {
  cases: number;
  /** Events per sync batch. */
  batch: number;
  /** Figures only, nothing printed (the caller prints the returned figures as JSON). */
  json?: boolean;
  /** A scratch directory (the workstation's SQLite files and PGlite's data go under it). */
  dir: string;
  makeStore: (path: string) => CaseStore;
  /** Writes the backlog (`cases` cases) into a fresh store. */
  seed: (store: CaseStore) => void;
}

export interface DrainRun {
  backend: 'PGlite' | 'PostgreSQL';
  cases: number;
  events: number;
  seconds: number;
  eventsPerSec: number;
  batches: number;
  /** Outbox rows left after the drain (0 when it completed). */
  left: number;
  /** Time the server spent inside the batch requests (the rest is the client and HTTP, in the same process). */
  serverSeconds: number;
  /** CPU time of this process during the drain (client, server and, for PGlite, the database itself). */
  cpuSeconds: number;
  /** The machine's 1-minute load average when the drain ended (other jobs share it). */
  load: number;
  /** Whether the client sent signed checkpoints (it does once the case log has a ledger), and how many the server kept. */
  checkpoints: { sent: boolean; stored: number };
  copy: (CopyFigures & { fraction: number }) | { unavailable: string };
}

export interface DrainFigures {
  cpu: string;
  runs: DrainRun[];
  skipped: { backend: string; reason: string }[];
}

async function drainOnce(backend: DrainRun['backend'], db: ServerDb, opts: DrainOptions): Promise<Omit<DrainRun, 'copy'>> {
  await migrateServer(db);
  const token = await createToken(db, `bench-${backend.toLowerCase()}-${Date.now().toString(36)}`);
  const app = await buildServer({ db, logger: silentLogger });
  let serverMs = 0;
  app.addHook('onResponse', async (request, reply) => {
    if (request.url.startsWith('/api/v1/sync/batches')) serverMs += reply.elapsedTime;
  });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const store = opts.makeStore(join(opts.dir, `drain-${backend}.db`));
  try {
    opts.seed(store);
    const events = store.pendingCount();
    const client = new SyncClient({ store, serverUrl: address, token, batchSize: opts.batch });
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const r = await client.syncOnce();
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const counts = await db.query<{ checkpoints: number; positioned: number }>(
      'SELECT (SELECT count(*)::int FROM sync_checkpoints) AS checkpoints, (SELECT count(*)::int FROM events WHERE gseq IS NOT NULL) AS positioned',
    );
    const { checkpoints, positioned } = counts.rows[0]!;
    return {
      backend,
      cases: opts.cases,
      events,
      seconds,
      eventsPerSec: events / seconds,
      batches: r.batches,
      left: store.pendingCount(),
      serverSeconds: serverMs / 1000,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      load: loadavg()[0]!,
      checkpoints: { sent: checkpoints > 0 && positioned > 0, stored: checkpoints },
    };
  } finally {
    store.close();
    await app.close();
    await db.close();
  }
}

function print(run: DrainRun, batch: number): void {
  const cp = run.checkpoints.sent ? `signed checkpoints sent (${run.checkpoints.stored} stored)` : 'NO checkpoints sent (client without ledger)';
  console.log(
    `  ${run.backend.padEnd(11)} ${run.cases} cases / ${run.events} events in ${run.seconds.toFixed(2)} s = ${Math.round(run.eventsPerSec)} events/s ` +
      `(${run.batches} batches of ≤${batch}; ${run.left} left; ${cp})`,
  );
  console.log(
    `  ${''.padEnd(11)} server requests ${run.serverSeconds.toFixed(2)} s of it; this process used ${run.cpuSeconds.toFixed(2)} s CPU; load average ${run.load.toFixed(1)}`,
  );
  if ('unavailable' in run.copy) console.log(`  ${''.padEnd(11)} COPY reference: ${run.copy.unavailable}`);
  else
    console.log(
      `  ${''.padEnd(11)} COPY reference: ${run.copy.events} events in ${run.copy.seconds.toFixed(2)} s = ${Math.round(run.copy.eventsPerSec)} events/s; ` +
        `drain = ${(run.copy.fraction * 100).toFixed(0)}% of COPY`,
    );
}

const withCopy = async (run: Omit<DrainRun, 'copy'>, copy: () => Promise<CopyFigures>): Promise<DrainRun> => {
  try {
    const c = await copy();
    return { ...run, copy: { ...c, fraction: run.eventsPerSec / c.eventsPerSec } };
  } catch (error) {
    return { ...run, copy: { unavailable: `n/a (${error instanceof Error ? error.message : String(error)})` } };
  }
};

/** Drains `opts.cases` cases on PGlite, then on PostgreSQL (skipped with its reason where there is none). */
export async function benchDrain(opts: DrainOptions): Promise<DrainFigures> {
  const figures: DrainFigures = { cpu: `${cpus().length} CPU (${cpus()[0]?.model ?? '?'})`, runs: [], skipped: [] };
  const say = (line: string) => {
    if (!opts.json) console.log(line);
  };
  say(`\ndrain a backlog of ${opts.cases} cases to the server (chain and ledger re-verified server-side, one transaction per batch) on ${figures.cpu}:`);

  const pgliteDir = join(opts.dir, 'pglite');
  const lite = await drainOnce('PGlite', await openPglite(pgliteDir), opts);
  figures.runs.push(await withCopy(lite, () => copyReferencePglite(pgliteDir)));
  if (!opts.json) print(figures.runs[figures.runs.length - 1]!, opts.batch);

  const pg = await startPostgres({ durable: true });
  if (pg.ok) {
    try {
      const run = await drainOnce('PostgreSQL', await openPostgres(pg.cluster.url), opts);
      figures.runs.push(await withCopy(run, () => copyReferencePostgres(pg.cluster.url)));
      if (!opts.json) print(figures.runs[figures.runs.length - 1]!, opts.batch);
    } finally {
      await pg.cluster.stop();
    }
  } else {
    figures.skipped.push({ backend: 'PostgreSQL', reason: pg.reason });
    say(`  PostgreSQL  skipped: ${pg.reason}`);
  }
  return figures;
}
