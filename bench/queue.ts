/**
 * npm run bench:queue [-- --customers 200 --agents 50 --latency-assignments 1000 --assignments 10000 --poll-ms 10 --json --no-pg]
 *
 * The customer queue (server/queue, docs/queue.md) driven through its HTTP API (app.inject: auth, validation,
 * SQL, serialisation; no socket), as the contract in src/shared/queue.ts describes it:
 *
 * - a backlog of --customers waiting customers (each handed over by a channel, each page polling its status
 *   every 2 s as the real page does; every accepted customer is replaced, so the backlog stays full) and
 *   --agents agents who poll GET /api/v1/queue/agent every --poll-ms while free, accept an offer at once and
 *   finish the call at once (the agent is ready again);
 * - assignment latency = offer visible to the agent − the moment the match became possible (the later of the
 *   customer's first status poll and the agent being free): the routing delay, not the customer's queue time;
 * - on PGlite (one instance) and on PostgreSQL with two server instances on one database (two connection pools;
 *   agents and customers alternate between them; skipped with the reason when no PostgreSQL can start), where
 *   --assignments accepts are counted per request: every request must be accepted exactly once.
 */
import { cpus, loadavg } from 'node:os';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../server/app';
import { createToken } from '../server/auth/tokens';
import { openPglite, openPostgres, type ServerDb } from '../server/db/database';
import { migrateServer } from '../server/db/migrations';
import { startPostgres } from '../server/testing/pg-harness';
import { silentLogger } from '../src/main/log/logger';
import type { AgentStatus, HandoverResponse } from '../src/shared/queue';
import { percentile, round2 } from './stats';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const CUSTOMERS = arg('customers', 200);
const AGENTS = arg('agents', 50);
const LATENCY_ASSIGNMENTS = arg('latency-assignments', 1000);
const ASSIGNMENTS = arg('assignments', 10_000);
const POLL_MS = arg('poll-ms', 10);
/** Agents' held polls (GET /api/v1/queue/agent?waitMs=…), as the workstation makes them; 0 = plain polls every --poll-ms. */
const HOLD_MS = arg('hold-ms', 20_000);
/**
 * How long an agent keeps a call before finishing it (uniform in [handle/2, 3·handle/2]); 0 = finish at once, the
 * saturation case: every round of routing then has agents freed while it runs, and the latency is mostly waiting
 * for the round in progress to end. A real call lasts minutes; a few seconds here is already far busier than a
 * real center of 50 agents.
 */
const HANDLE_MS = arg('handle-ms', 0);
const JSON_OUT = process.argv.includes('--json');
const NO_PG = process.argv.includes('--no-pg');
const say = (line = '') => {
  if (!JSON_OUT) console.log(line);
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Customer {
  requestId: string;
  secret: string;
  app: FastifyInstance;
  readyAt: number | null;
}

interface RunResult {
  backend: string;
  instances: number;
  assignments: number;
  seconds: number;
  latencyMs: { p50: number; p95: number; max: number };
  acceptedTwice: number;
  offeredToTwoAgentsAtOnce: number;
  acceptsRefused: number;
  dbDoubleAssigned: number;
  load: number;
}

async function run(name: string, dbs: ServerDb[], target: number): Promise<RunResult> {
  for (const db of dbs) await migrateServer(db);
  const main = dbs[0]!;
  const tag = Date.now().toString(36);
  const channel = await createToken(main, `bench-channel-${tag}`, 'channel');
  const apps: FastifyInstance[] = [];
  for (const db of dbs) {
    const app = await buildServer({ db, logger: silentLogger, rateLimit: false, signaling: { publicUrl: 'https://bench.invalid' }, callbacks: { sweepIntervalMs: 0 } });
    await app.ready();
    apps.push(app);
  }
  const agentTokens = await Promise.all(Array.from({ length: AGENTS }, (_, i) => createToken(main, `bench-ws-${tag}-${i}`)));

  const waiting = new Map<string, Customer>();
  let handedOver = 0;
  const handOver = async () => {
    const i = handedOver++;
    const app = apps[i % apps.length]!;
    const r = await app.inject({
      method: 'POST',
      url: '/api/v1/queue/requests',
      headers: { authorization: `Bearer ${channel}` },
      payload: { channelRequestId: `bench-${tag}-${i}`, serviceType: 'consult', customerRef: `CUST-${i}`, priorChecks: [{ kind: 'sms_otp', result: 'pass', at: Date.now() - 60_000, source: 'app' }] },
    });
    if (r.statusCode !== 201) throw new Error(`hand-over: ${r.statusCode} ${r.body.slice(0, 200)}`);
    const body = r.json<HandoverResponse>();
    const secret = body.joinUrl!.split('#')[1]!;
    const c: Customer = { requestId: body.requestId, secret, app, readyAt: null };
    waiting.set(c.requestId, c);
    const t = performance.now();
    await poll(c);
    c.readyAt = t;
  };
  const poll = async (c: Customer) => {
    const r = await c.app.inject({ method: 'GET', url: `/api/v1/queue/requests/${c.requestId}`, headers: { authorization: `Bearer ${c.secret}` } });
    if (r.statusCode !== 200) throw new Error(`status: ${r.statusCode} ${r.body.slice(0, 200)}`);
  };

  let stop = false;
  // The waiting pages: every customer polls every 2 s (the presence timeout is 30 s).
  const pages = (async () => {
    while (!stop) {
      await Promise.all([...waiting.values()].filter((c) => c.readyAt !== null).map((c) => poll(c).catch(() => undefined)));
      await sleep(2_000);
    }
  })();

  const latencies: number[] = [];
  const accepts = new Map<string, number>();
  const showing = new Map<string, string>();
  let doubleOffers = 0;
  let refused = 0;
  let done = 0;
  const failures: string[] = [];
  const t0 = performance.now();

  const agent = async (i: number) => {
    const app = apps[i % apps.length]!;
    const auth = { authorization: `Bearer ${agentTokens[i]!}` };
    const set = await app.inject({ method: 'PUT', url: '/api/v1/queue/agent', headers: auth, payload: { state: 'ready', agentId: `agent-${i}` } });
    if (set.statusCode !== 200) throw new Error(`agent ready: ${set.statusCode} ${set.body.slice(0, 200)}`);
    let freeAt = performance.now();
    while (!stop && done < target) {
      const askedAt = performance.now();
      const r = await app.inject({ method: 'GET', url: HOLD_MS > 0 ? `/api/v1/queue/agent?waitMs=${HOLD_MS}` : '/api/v1/queue/agent', headers: auth });
      const status = r.json<AgentStatus>();
      const offer = status.offer;
      if (!offer) {
        if (status.state !== 'ready') {
          // Set away by a lapse (should not happen: offers are accepted at once): back to ready.
          await app.inject({ method: 'PUT', url: '/api/v1/queue/agent', headers: auth, payload: { state: 'ready', agentId: `agent-${i}` } });
          freeAt = performance.now();
        }
        // a held poll that ended without an offer asks again at once; a plain (or unheld) one waits its interval
        if (HOLD_MS === 0 || performance.now() - askedAt < 50) await sleep(POLL_MS);
        continue;
      }
      const seen = performance.now();
      const other = showing.get(offer.requestId);
      if (other !== undefined && other !== String(i)) doubleOffers++;
      showing.set(offer.requestId, String(i));
      const customer = waiting.get(offer.requestId);
      if (customer?.readyAt != null) latencies.push(Math.max(0, seen - Math.max(customer.readyAt, freeAt)));
      const acc = await app.inject({ method: 'POST', url: `/api/v1/queue/offers/${offer.requestId}/accept`, headers: auth, payload: { caseId: `case-${offer.requestId}` } });
      showing.delete(offer.requestId);
      if (acc.statusCode !== 200) {
        refused++;
        continue;
      }
      accepts.set(offer.requestId, (accepts.get(offer.requestId) ?? 0) + 1);
      waiting.delete(offer.requestId);
      done++;
      // The backlog stays full: a new customer for the one taken.
      if (handedOver < target + CUSTOMERS) void handOver().catch((e: unknown) => failures.push(String(e)));
      if (HANDLE_MS > 0) await sleep(HANDLE_MS / 2 + Math.random() * HANDLE_MS);
      const fin = await app.inject({ method: 'POST', url: `/api/v1/queue/requests/${offer.requestId}/finish`, headers: auth, payload: {} });
      if (fin.statusCode !== 200) throw new Error(`finish: ${fin.statusCode} ${fin.body.slice(0, 200)}`);
      freeAt = performance.now();
    }
  };

  for (let i = 0; i < CUSTOMERS; i += 20) await Promise.all(Array.from({ length: Math.min(20, CUSTOMERS - i) }, () => handOver()));
  await Promise.all(Array.from({ length: AGENTS }, (_, i) => agent(i)));
  stop = true;
  await pages;
  const seconds = (performance.now() - t0) / 1000;
  if (failures.length > 0) throw new Error(`${failures.length} hand-overs failed, first: ${failures[0]}`);

  const { rows } = await main.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM (SELECT request_id FROM queue_log WHERE kind = 'accepted' GROUP BY request_id HAVING count(DISTINCT workstation) > 1) d",
  );
  for (const app of apps) await app.close();
  for (const db of dbs) await db.close();
  return {
    backend: name,
    instances: apps.length,
    assignments: done,
    seconds: round2(seconds),
    latencyMs: { p50: round2(percentile(latencies, 0.5)), p95: round2(percentile(latencies, 0.95)), max: round2(Math.max(0, ...latencies)) },
    acceptedTwice: [...accepts.values()].filter((n) => n > 1).length,
    offeredToTwoAgentsAtOnce: doubleOffers,
    acceptsRefused: refused,
    dbDoubleAssigned: Number(rows[0]?.n ?? 0),
    load: round2(loadavg()[0] ?? 0),
  };
}

function report(r: RunResult): void {
  say(`\n${r.backend} (${r.instances} instance${r.instances > 1 ? 's' : ''}): ${r.assignments} assignments in ${r.seconds} s`);
  say(`  assignment latency (match possible → offer visible): p50 ${r.latencyMs.p50} ms  p95 ${r.latencyMs.p95} ms  max ${r.latencyMs.max} ms`);
  say(`  accepted twice: ${r.acceptedTwice}   offered to two agents at once: ${r.offeredToTwoAgentsAtOnce}   accepted by two workstations (queue_log): ${r.dbDoubleAssigned}   accepts refused (OFFER_GONE): ${r.acceptsRefused}`);
}

async function main(): Promise<void> {
  const out: Record<string, unknown> = {
    cpu: cpus()[0]?.model ?? '?',
    cpus: cpus().length,
    node: process.version,
    at: new Date().toISOString(),
    customers: CUSTOMERS,
    agents: AGENTS,
    pollMs: POLL_MS,
    holdMs: HOLD_MS,
    handleMs: HANDLE_MS,
    runs: [] as RunResult[],
  };
  say(`bench:queue — node ${process.version}, ${cpus().length} CPU (${cpus()[0]?.model ?? '?'}), load ${loadavg()[0]?.toFixed(2)}, ${new Date().toISOString()}`);
  say(`${CUSTOMERS} waiting customers, ${AGENTS} agents ${HOLD_MS > 0 ? `on held polls (waitMs ${HOLD_MS})` : `polling every ${POLL_MS} ms`} while free, calls of ${HANDLE_MS > 0 ? `~${HANDLE_MS} ms` : '0 ms (saturation)'}`);
  const runs = out.runs as RunResult[];

  const lite = await run('PGlite', [await openPglite()], LATENCY_ASSIGNMENTS);
  runs.push(lite);
  report(lite);

  if (NO_PG) out.postgres = { skipped: '--no-pg' };
  else {
    const pg = await startPostgres();
    if (!pg.ok) {
      out.postgres = { skipped: pg.reason };
      say(`\nPostgreSQL skipped: ${pg.reason}`);
    } else {
      try {
        const two = await run('PostgreSQL', [await openPostgres(pg.cluster.url), await openPostgres(pg.cluster.url)], ASSIGNMENTS);
        runs.push(two);
        report(two);
      } finally {
        await pg.cluster.stop();
      }
    }
  }
  const bad = runs.some((r) => r.acceptedTwice > 0 || r.dbDoubleAssigned > 0);
  if (JSON_OUT) console.log(JSON.stringify(out, null, 2));
  if (bad) {
    console.error('DOUBLE ASSIGNMENT: a request was accepted more than once');
    process.exitCode = 1;
  }
}

await main();
