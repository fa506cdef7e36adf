/**
 * npx tsx bench/console.ts [--cases 100000] [--runs 30] [--db FILE] [--json]
 * The 质检 console over N seeded cases on local SQLite (src/main/console/): p50/p95 of console.list for several
 * filters (first page and a page deep into the keyset), each statistic (total, per day, per agent, the whole
 * console.stats, its CSV) and the stratified sample. Cases are written through the real store (chain, ledger,
 * seals, the case-facts hook), so the seed time also says what the facts hook costs at append time.
 * --db keeps the seeded log for the next run (the same fixed key opens it).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConsoleFilter } from '../src/shared/console';
import { recordCaseFact } from '../src/main/caselog/case-facts';
import { rowToEvent, type EventRow } from '../src/main/caselog/event-row';
import { StaticKeyProvider } from '../src/main/caselog/key-provider';
import { CaseStore } from '../src/main/caselog/store';
import { statsCsv } from '../src/main/console/csv';
import { seedConsoleCases } from '../src/main/console/demo-seed';
import { listFacts, type FactsDb } from '../src/main/console/facts-list';
import { computeStats } from '../src/main/console/facts-stats';
import { drawSample } from '../src/main/console/sample';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const JSON_OUT = process.argv.includes('--json');
const CASES = Number(arg('cases', '100000'));
const RUNS = Number(arg('runs', '30'));
const NOW = Date.UTC(2026, 3, 1);
const DAY = 86_400_000;
const say = (line: string) => {
  if (!JSON_OUT) console.log(line);
};

const dir = mkdtempSync(join(tmpdir(), 'vd-bench-console-'));
const dbPath = arg('db', join(dir, 'cases.db'));
const reuse = existsSync(dbPath);
const store = CaseStore.open({ path: dbPath, keyProvider: new StaticKeyProvider(Buffer.alloc(32, 5)) });
const out: Record<string, unknown> = { cpu: cpus()[0]?.model ?? '?', cpus: cpus().length, node: process.version, at: new Date().toISOString(), cases: CASES };
say(`bench:console — node ${process.version}, ${cpus().length} CPU (${cpus()[0]?.model ?? '?'}), ${new Date().toISOString()}`);
say('conditions: shared machine (other jobs may be running); SQLite WAL synchronous=FULL on ' + tmpdir());

try {
  const have = store.countCases();
  if (have < CASES) {
    const t0 = performance.now();
    seedConsoleCases(store, { count: CASES - have, agents: 40, days: 120, seed: 9, now: NOW, onProgress: (n) => !JSON_OUT && n % 20_000 === 0 && process.stdout.write(`  seeded ${n}\r`) });
    const s = (performance.now() - t0) / 1000;
    const events = (store.db.prepare('SELECT count(*) FROM events').pluck().get() as number) ?? 0;
    out.seed = { seconds: Math.round(s * 10) / 10, casesPerSecond: Math.round((CASES - have) / s), events };
    say(`seeded ${CASES - have} cases (${events} events) in ${s.toFixed(1)} s: ${Math.round((CASES - have) / s)} cases/s through the store with the facts hook`);
  } else say(`reusing ${have} cases in ${dbPath}${reuse ? '' : ' (new)'}`);

  // what the append-time hook costs: the facts of 4000 cases rebuilt event by event exactly as appendInTx does, rolled back
  {
    const ids = store.db.prepare('SELECT case_id FROM case_facts ORDER BY case_id LIMIT 4000').pluck().all() as string[];
    const events = (store.db.prepare('SELECT * FROM events WHERE case_id >= ? AND case_id <= ? ORDER BY case_id, seq').all(ids[0], ids[ids.length - 1]) as EventRow[]).map(rowToEvent);
    const idHash = (t: string) => store.idHash(t);
    let us = 0;
    store.db.exec('BEGIN');
    try {
      store.db.prepare('DELETE FROM case_facts WHERE case_id >= ? AND case_id <= ?').run(ids[0], ids[ids.length - 1]);
      const t0 = performance.now();
      for (const e of events) recordCaseFact(store.db, e, idHash);
      us = ((performance.now() - t0) * 1000) / events.length;
    } finally {
      store.db.exec('ROLLBACK');
    }
    out.factsHook = { eventsReplayed: events.length, microsecondsPerEvent: Math.round(us * 10) / 10 };
    say(`facts hook: ${us.toFixed(1)} µs per appended event (mean over ${events.length} events of ${ids.length} cases, every event type)`);
  }

  const src: FactsDb = { db: store.db, source: 'local', idHash: (t) => store.idHash(t), workstationOf: (ids) => new Map(ids.map((id) => [id, store.workstationId])) };
  const pct = (xs: number[], p: number) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
  };
  const time = (fn: () => unknown): { p50: number; p95: number } => {
    fn();
    const xs: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      fn();
      xs.push(performance.now() - t);
    }
    return { p50: Math.round(pct(xs, 50) * 100) / 100, p95: Math.round(pct(xs, 95) * 100) / 100 };
  };
  const row = (name: string, r: { p50: number; p95: number }, extra = '') => say(`  ${name.padEnd(60)} p50 ${r.p50.toFixed(2).padStart(8)} ms   p95 ${r.p95.toFixed(2).padStart(8)} ms${extra}`);

  // a customer reference that exists, to search by its keyed hash
  const someRef = store.db.prepare('SELECT customer_ref FROM cases WHERE customer_ref IS NOT NULL LIMIT 1 OFFSET 777').pluck().get() as string;
  const filters: [string, ConsoleFilter][] = [
    ['no filter', {}],
    ['agent', { agentId: 'agent-07' }],
    ['disagreement', { disagreement: true }],
    ['escalated', { escalated: true }],
    ['advice=fail + decision=pass', { advice: 'fail', decision: 'pass' }],
    ['service=transact + last 30 days', { serviceType: 'transact', from: NOW - 30 * DAY }],
    ['unreviewed + failed check liveness', { review: 'unreviewed', failedCheck: 'liveness' }],
    ['customer reference (keyed hash)', { customerRef: someRef }],
    ['case id prefix', { caseId: (store.db.prepare('SELECT case_id FROM case_facts LIMIT 1 OFFSET 4242').pluck().get() as string).slice(0, 6) }],
  ];
  say(`console.list, 100 rows a page (${RUNS} runs each):`);
  const list: Record<string, unknown> = {};
  for (const [name, filter] of filters) {
    const first = time(() => listFacts(src, filter, null, 100));
    const n = listFacts(src, filter, null, 100).rows.length;
    row(`${name} — first page`, first, `  (${n} rows)`);
    // the 50th page of the unfiltered and agent lists: keyset keeps it as fast as the first
    let deep: { p50: number; p95: number } | undefined;
    if (name === 'no filter' || name === 'agent') {
      let cursor: string | null = null;
      for (let i = 0; i < 49 && (i === 0 || cursor); i++) cursor = listFacts(src, filter, cursor, 100).nextCursor;
      if (cursor) {
        const at = cursor;
        deep = time(() => listFacts(src, filter, at, 100));
        row(`${name} — page 50 (keyset)`, deep);
      }
    }
    list[name] = { first, ...(deep ? { page50: deep } : {}), rows: n };
  }
  out.list = list;

  say(`statistics over all ${CASES} cases and over one agent (${RUNS} runs each):`);
  const stats: Record<string, unknown> = {};
  for (const [label, filter] of [['all', {}], ['agent', { agentId: 'agent-07' }]] as [string, ConsoleFilter][]) {
    const entries: [string, () => unknown][] = [
      // every statistic comes from one grouped scan (src/main/console/facts-stats.ts); each chart's table is a CSV of it
      ['console.stats (every statistic, per day and per agent)', () => computeStats(src, filter, 480)],
      ['console.statsCsv day', () => statsCsv(computeStats(src, filter, 480), 'day')],
      ['console.statsCsv agent', () => statsCsv(computeStats(src, filter, 480), 'agent')],
      ['console.statsCsv overrides by reason code', () => statsCsv(computeStats(src, filter, 480), 'overrides')],
      ['console.statsCsv failed checks by kind', () => statsCsv(computeStats(src, filter, 480), 'failed_checks')],
      ['console.sample 5 % + overrides + escalations', () => drawSample(src, filter, { seed: 'bench', rate: 0.05, includeOverrides: true, includeEscalations: true, tzOffsetMinutes: 480 })],
    ];
    const m: Record<string, unknown> = {};
    for (const [name, fn] of entries) {
      const r = time(fn);
      row(`${label}: ${name}`, r);
      m[name] = r;
    }
    stats[label] = m;
  }
  out.stats = stats;
  const sample = drawSample(src, {}, { seed: 'bench', rate: 0.05, includeOverrides: true, includeEscalations: true, tzOffsetMinutes: 480 });
  out.sample = { population: sample.population, picks: sample.picks.length, strata: sample.strata.length };
  say(`sample: ${sample.picks.length} of ${sample.population} cases from ${sample.strata.length} agent-week strata`);
  if (JSON_OUT) console.log(JSON.stringify(out));
} finally {
  store.close();
  if (arg('db', '') === '') rmSync(dir, { recursive: true, force: true });
}
