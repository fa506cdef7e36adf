/**
 * npx tsx bench/lead-api.ts [--cases 100000] [--runs 200] [--json] [--explain]
 * The lead API (server/leads, docs/lead-api.md) over N seeded cases, on PGlite (on disk) and on PostgreSQL
 * (a throwaway cluster, server/testing/pg-harness.ts): p50/p95 of GET /api/v1/lead/cases for each filter (and a
 * page deep in the list) and of each statistic, through the real routes (app.inject: auth, validation, SQL,
 * serialisation; no socket), with the index each list query's plan uses. --explain also prints
 * EXPLAIN (ANALYZE) of every query (what docs/lead-api.md shows).
 * The cases are seeded in SQL (bench/lead-seed.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../server/app';
import { createToken } from '../server/auth/tokens';
import { openPglite, openPostgres, type ServerDb } from '../server/db/database';
import { migrateServer } from '../server/db/migrations';
import { listSql } from '../server/leads/list';
import { encodeCursor, filterOf, LeadListQuerySchema, type LeadFilter } from '../server/leads/query';
import { statsSql } from '../server/leads/stats';
import { startPostgres } from '../server/testing/pg-harness';
import { silentLogger } from '../src/main/log/logger';
import { customerHashSql, LEAD_SEED_SQL, SEED_NOW as NOW } from './lead-seed';
import { percentile, round2 } from './stats';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const CASES = arg('cases', 100_000);
const RUNS = arg('runs', 200);
const JSON_OUT = process.argv.includes('--json');
const EXPLAIN = process.argv.includes('--explain');
const say = (line = '') => {
  if (!JSON_OUT) console.log(line);
};

const DAY = 86_400_000;


/** The list queries: [name, query parameters]. */
function listQueries(deepCursor: string, customerHash: string): [string, Record<string, string>][] {
  return [
    ['newest page (no filter)', {}],
    ['page 500 deep (keyset)', { cursor: deepCursor }],
    ['case id prefix', { caseId: 'case-00421' }],
    ['workstation', { workstationId: 'ws-07' }],
    ['agent', { agentId: 'agent-23' }],
    ['customer ref hash', { customerRefHash: customerHash }],
    ['date range (30 days)', { from: String(NOW - 120 * DAY), to: String(NOW - 90 * DAY) }],
    ['service type', { serviceType: 'operate' }],
    ['engine advice', { advice: 'fail' }],
    ['decision', { decision: 'fail' }],
    ['no decision', { decision: 'none' }],
    ['disagreement', { disagreement: 'true' }],
    ['escalated', { escalated: 'true' }],
    ['unreviewed', { review: 'unreviewed' }],
    ['reviewed', { review: 'reviewed' }],
    ['review outcome', { review: 'overturned' }],
    ['failed check', { failedCheck: 'face_swap' }],
    ['re-verified', { reverified: 'true' }],
    ['agent + 90 days + disagreement', { agentId: 'agent-23', from: String(NOW - 90 * DAY), to: String(NOW), disagreement: 'true' }],
  ];
}

const STATS_QUERIES: [string, Record<string, string>][] = [
  ['per day, a year', { groupBy: 'day', from: String(NOW - 366 * DAY), to: String(NOW + DAY) }],
  ['per agent, a year', { groupBy: 'agent', from: String(NOW - 366 * DAY), to: String(NOW + DAY) }],
  ['per day, 30 days', { groupBy: 'day', from: String(NOW - 30 * DAY), to: String(NOW) }],
  ['per agent, one workstation', { groupBy: 'agent', workstationId: 'ws-07' }],
  ['per agent, a year, CSV', { groupBy: 'agent', from: String(NOW - 366 * DAY), to: String(NOW + DAY), format: 'csv' }],
];

interface Timing {
  name: string;
  p50: number;
  p95: number;
  rows: number;
  indexes?: string[];
}

const indexesOf = (plan: string) => [...new Set([...plan.matchAll(/(?:Index(?: Only)? Scan(?: Backward)? using|Bitmap Index Scan on) (\w+)/g)].map((m) => m[1]!))];

async function explain(db: ServerDb, sql: string, params: unknown[], analyze: boolean): Promise<string> {
  const { rows } = await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN (${analyze ? 'ANALYZE, ' : ''}COSTS OFF) ${sql}`, params);
  return rows.map((r) => r['QUERY PLAN']).join('\n');
}

async function time(app: FastifyInstance, token: string, url: string): Promise<{ p50: number; p95: number; rows: number }> {
  const once = async () => {
    const t = performance.now();
    const r = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
    const ms = performance.now() - t;
    if (r.statusCode !== 200) throw new Error(`${url}: ${r.statusCode} ${r.body.slice(0, 200)}`);
    return { ms, body: r.body };
  };
  for (let i = 0; i < Math.min(5, RUNS); i++) await once();
  const times: number[] = [];
  let body = '';
  for (let i = 0; i < RUNS; i++) {
    const r = await once();
    times.push(r.ms);
    body = r.body;
  }
  const rows = body.startsWith('\uFEFF') ? body.split('\r\n').length - 2 : ((JSON.parse(body) as { rows: unknown[] }).rows?.length ?? 0);
  return { p50: round2(percentile(times, 0.5)), p95: round2(percentile(times, 0.95)), rows };
}

async function benchOne(name: string, db: ServerDb) {
  await migrateServer(db);
  const t0 = performance.now();
  await db.query(LEAD_SEED_SQL, [CASES]);
  await db.query('ANALYZE cases');
  const seedS = (performance.now() - t0) / 1000;
  const token = await createToken(db, `bench-lead-${Date.now().toString(36)}`, 'lead');
  // limits off: 200 runs of 24 queries would be refused by the per-token budgets, which are not what is measured
  const app = await buildServer({ db, logger: silentLogger, rateLimit: false });
  say(`\n${name}: ${CASES} cases seeded in ${seedS.toFixed(1)} s`);
  const deep = (await db.query<{ opened_at: number; case_id: string }>('SELECT opened_at, case_id FROM cases ORDER BY opened_at DESC, case_id OFFSET $1 LIMIT 1', [Math.min(CASES - 1, 50_000)])).rows[0]!;
  const customer = (await db.query<{ h: string }>(`SELECT ${customerHashSql(1234)} AS h`)).rows[0]!.h;
  const list: Timing[] = [];
  const plans: { name: string; plan: string }[] = [];
  say(`  GET /api/v1/lead/cases, 100 rows a page, ${RUNS} runs each:`);
  for (const [qname, params] of listQueries(encodeCursor({ openedAt: Number(deep.opened_at), caseId: deep.case_id }), customer)) {
    const query = new URLSearchParams({ ...params, limit: '100' });
    const r = await time(app, token, `/api/v1/lead/cases?${query.toString()}`);
    const parsed = LeadListQuerySchema.parse(Object.fromEntries(query));
    const keyset = params.cursor ? { openedAt: Number(deep.opened_at), caseId: deep.case_id } : null;
    const { sql, params: values } = listSql(filterOf(parsed), keyset, 100);
    const plan = await explain(db, sql, values, EXPLAIN);
    if (EXPLAIN) plans.push({ name: qname, plan });
    const indexes = indexesOf(plan);
    list.push({ name: qname, ...r, indexes });
    say(`    ${qname.padEnd(32)} p50 ${r.p50.toFixed(2).padStart(7)} ms  p95 ${r.p95.toFixed(2).padStart(7)} ms  ${String(r.rows).padStart(3)} rows  ${indexes.join(', ') || 'SEQ SCAN'}`);
  }
  const stats: Timing[] = [];
  say(`  GET /api/v1/lead/stats, ${RUNS} runs each:`);
  for (const [qname, params] of STATS_QUERIES) {
    const r = await time(app, token, `/api/v1/lead/stats?${new URLSearchParams(params).toString()}`);
    const filter: LeadFilter = { from: params.from ? Number(params.from) : undefined, to: params.to ? Number(params.to) : undefined, workstationId: params.workstationId };
    const { sql, params: values } = statsSql(filterOf(filter), params.groupBy as 'day' | 'agent', 480);
    const plan = await explain(db, sql, values, EXPLAIN);
    if (EXPLAIN) plans.push({ name: `stats: ${qname}`, plan });
    stats.push({ name: qname, ...r, indexes: indexesOf(plan) });
    say(`    ${qname.padEnd(32)} p50 ${r.p50.toFixed(2).padStart(7)} ms  p95 ${r.p95.toFixed(2).padStart(7)} ms  ${String(r.rows).padStart(3)} groups`);
  }
  if (EXPLAIN && !JSON_OUT) for (const p of plans) console.log(`\n--- ${name}: ${p.name}\n${p.plan}`);
  await app.close();
  await db.close();
  return { backend: name, cases: CASES, seedSeconds: round2(seedS), list, stats, ...(EXPLAIN ? { plans } : {}), load: loadavg()[0] };
}

const cpu = `${cpus().length} CPU (${cpus()[0]?.model ?? '?'})`;
say(`bench:lead-api — node ${process.version}, ${cpu}, ${new Date().toISOString()}`);
say('conditions: client and server in one process (app.inject, no socket); rate limits off; a shared machine (other jobs may be running)');
const out: Record<string, unknown> = { cpu, node: process.version, at: new Date().toISOString(), cases: CASES, runs: RUNS, results: [] as unknown[] };
const dir = mkdtempSync(join(tmpdir(), 'vd-lead-bench-'));
try {
  (out.results as unknown[]).push(await benchOne('PGlite (on disk)', await openPglite(join(dir, 'pglite'))));
  const pg = await startPostgres({ durable: false });
  if (pg.ok) {
    try {
      (out.results as unknown[]).push(await benchOne('PostgreSQL', await openPostgres(pg.cluster.url)));
    } finally {
      await pg.cluster.stop();
    }
  } else {
    out.skipped = { backend: 'PostgreSQL', reason: pg.reason };
    say(`\nPostgreSQL skipped: ${pg.reason}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
if (JSON_OUT) console.log(JSON.stringify(out, null, 2));
