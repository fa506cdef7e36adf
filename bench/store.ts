/**
 * npm run bench:store [-- --cases 100000 --drain 10000 --batch 1000 --purge 10000 --json]
 * Prints: events inserted per second with the keyed ledger (chain hash + ledger hash + HMAC seal + keyed head per
 * event) and what the ledger's own work costs per event, measured in the same run; the hash implementation
 * (@noble/hashes, which also runs in a browser) against node:crypto; audit-list query latency over N cases; the
 * time to verify the whole log; the time to purge (crypto-shred) M evidence items; and the time to drain a backlog
 * to the server on PGlite and PostgreSQL with a COPY load of the same rows as the physical reference.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeEventHash } from '../src/common/chain';
import { hashImplementation, nobleHashes } from '../src/common/hash';
import { nodeHashes } from '../src/common/node-hash';
import { ledgerStep } from '../src/common/ledger';
import { headMac, sealOf } from '../src/main/caselog/ledger';
import { StaticKeyProvider } from '../src/main/caselog/key-provider';
import { seedCases } from '../src/main/caselog/seed';
import { CaseStore } from '../src/main/caselog/store';
import { silentLogger } from '../src/main/log/logger';
import { RecordingService } from '../src/main/recording/recording-service';
import type { CaseListFilter } from '../src/shared/cases';
import { benchDrain } from './store-drain';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const JSON_OUT = process.argv.includes('--json');
const CASES = arg('cases', 100_000);
const DRAIN = arg('drain', 10_000);
const BATCH = arg('batch', 1000);
const PURGE = arg('purge', 10_000);
const NOW = Date.UTC(2026, 0, 1);
const DAY = 86_400_000;
const key = new StaticKeyProvider(Buffer.alloc(32, 1));
const dir = mkdtempSync(join(tmpdir(), 'vd-bench-'));
const out: Record<string, unknown> = { cpu: cpus()[0]?.model ?? '?', cpus: cpus().length, node: process.version, at: new Date().toISOString() };
const say = (line: string) => {
  if (!JSON_OUT) console.log(line);
};

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
/** Microseconds per call of fn over n calls (after a warm-up). */
const micro = (n: number, fn: (i: number) => unknown): number => {
  for (let i = 0; i < Math.min(1000, n); i++) fn(i);
  const t = performance.now();
  for (let i = 0; i < n; i++) fn(i);
  return ((performance.now() - t) * 1000) / n;
};

say(`bench:store — node ${process.version}, ${cpus().length} CPU (${cpus()[0]?.model ?? '?'}), ${new Date().toISOString()}`);
say(`conditions: shared machine (other jobs may be running); SQLite WAL synchronous=FULL secure_delete=ON on ${tmpdir()}; client and server in one process over loopback HTTP`);

// 1. Insert rate with the keyed ledger, and what the ledger's own work costs per event.
{
  const store = CaseStore.open({ path: join(dir, 'audit.db'), keyProvider: key, now: () => NOW });
  const t0 = performance.now();
  const events = seedCases(store, { count: CASES, seed: 1, now: NOW, days: 365 });
  const s = (performance.now() - t0) / 1000;
  const perEventUs = (s * 1e6) / events;
  say(`\ninsert: ${CASES} cases, ${events} events in ${s.toFixed(1)} s = ${Math.round(events / s)} events/s, ${perEventUs.toFixed(1)} µs/event (transactions of 500 cases; per event: chain hash, ledger hash, HMAC seal, keyed head, outbox)`);
  const sample = store.events(store.listCases({ limit: 1 })[0]!.caseId)[1]!;
  const ledgerKey = Buffer.alloc(32, 2);
  const chainUs = micro(100_000, () => computeEventHash(sample));
  const ledgerUs = micro(100_000, (i) => ledgerStep(sample.hash, i + 1, sample.hash));
  const sealUs = micro(100_000, (i) => sealOf(ledgerKey, { gseq: i + 1, caseId: sample.caseId, seq: sample.seq, hash: sample.hash }));
  const headUs = micro(100_000, (i) => headMac(ledgerKey, { gseq: i + 1, ledgerHash: sample.hash, at: NOW }));
  const headRow = store.db.prepare('INSERT INTO ledger_head (id, gseq, ledger_hash, at, mac) VALUES (1, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET gseq = excluded.gseq');
  const readHead = store.db.prepare('SELECT gseq, ledger_hash, at, mac FROM ledger_head WHERE id = 1');
  const headIoUs = store.db.transaction(() => {
    const head = readHead.get() as { gseq: number; ledger_hash: string; at: number; mac: string };
    const us = micro(100_000, () => {
      readHead.get();
      headRow.run(head.gseq, head.ledger_hash, head.at, head.mac);
    });
    return us;
  })();
  const ledgerTotal = ledgerUs + sealUs + headUs + headIoUs;
  say(`  the ledger's share: ledger hash ${ledgerUs.toFixed(1)} µs + seal ${sealUs.toFixed(1)} µs + head MAC ${headUs.toFixed(1)} µs + head row read/write ${headIoUs.toFixed(1)} µs = ${ledgerTotal.toFixed(1)} µs/event = ${((100 * ledgerTotal) / perEventUs).toFixed(0)} % of an insert (the chain hash alone: ${chainUs.toFixed(1)} µs)`);
  const text = JSON.stringify(sample);
  const hashKey = Buffer.alloc(32, 3);
  const nobleSha = micro(100_000, () => nobleHashes.sha256Hex(text));
  const nodeSha = micro(100_000, () => nodeHashes.sha256Hex(text));
  const nobleHmac = micro(100_000, () => nobleHashes.hmacSha256Hex(hashKey, text));
  const nodeHmac = micro(100_000, () => nodeHashes.hmacSha256Hex(hashKey, text));
  say(`  hashing a ${text.length}-byte event: sha256 @noble/hashes ${nobleSha.toFixed(1)} µs vs node:crypto ${nodeSha.toFixed(1)} µs; HMAC ${nobleHmac.toFixed(1)} vs ${nodeHmac.toFixed(1)} µs (this process uses ${hashImplementation()}; a browser uses @noble/hashes, same bytes)`);
  out.insert = { cases: CASES, events, seconds: s, eventsPerSecond: events / s, usPerEvent: perEventUs, ledgerUsPerEvent: { ledgerHash: ledgerUs, seal: sealUs, headMac: headUs, headRow: headIoUs, total: ledgerTotal, shareOfInsert: ledgerTotal / perEventUs }, chainHashUs: chainUs };
  out.hashing = { bytes: text.length, sha256: { noble: nobleSha, node: nodeSha }, hmac: { noble: nobleHmac, node: nodeHmac } };

  // 2. Audit-list queries.
  const queries: [string, CaseListFilter][] = [
    ['newest 50 (no filter)', {}],
    ['by agent', { agentId: 'agent-07' }],
    ['by date range (30 days)', { from: NOW - 60 * DAY, to: NOW - 30 * DAY }],
    ['by verdict', { verdict: 'rejected' }],
    ['agent + date + verdict', { agentId: 'agent-07', verdict: 'needs_review', from: NOW - 180 * DAY, to: NOW }],
    ['verdict + date, page 5', { verdict: 'verified', from: NOW - 90 * DAY, to: NOW, offset: 200 }],
  ];
  say(`\naudit list over ${store.countCases()} cases (50 rows per page, 300 runs each):`);
  const list: Record<string, { p50: number; p95: number }> = {};
  for (const [name, filter] of queries) {
    const times: number[] = [];
    let rows = 0;
    for (let i = 0; i < 300; i++) {
      const t = performance.now();
      rows = store.listCases({ limit: 50, ...filter }).length;
      times.push(performance.now() - t);
    }
    list[name] = { p50: pct(times, 50), p95: pct(times, 95) };
    say(`  ${name.padEnd(28)} p50 ${pct(times, 50).toFixed(2)} ms  p95 ${pct(times, 95).toFixed(2)} ms  (${rows} rows)`);
  }
  out.auditList = list;
  const tv = performance.now();
  const v = store.verify();
  const verifyS = (performance.now() - tv) / 1000;
  say(`  verify the whole log (chains, seals, global sequence, keyed head): ${v.casesChecked} cases / ${v.eventsChecked} events in ${verifyS.toFixed(1)} s = ${Math.round(v.eventsChecked / verifyS)} events/s (${v.ok ? 'ok' : 'BROKEN'})`);
  out.verify = { cases: v.casesChecked, events: v.eventsChecked, seconds: verifyS, ok: v.ok };
  store.close();
}

// 3. Purge: crypto-shred PURGE evidence items (and a recording for every 10th case) in a log of old and new cases.
{
  let now = NOW - 60 * DAY;
  const store = CaseStore.open({ path: join(dir, 'purge.db'), keyProvider: key, now: () => now });
  const recorder = new RecordingService({ store, log: silentLogger, now: () => now });
  const items = 2;
  const oldCases = Math.ceil(PURGE / items);
  seedCases(store, { count: oldCases, seed: 5, now, days: 1, evidence: { items, recordingEvery: 10, recorder } });
  now = NOW;
  seedCases(store, { count: Math.ceil(oldCases / 4), seed: 6, now, days: 1, evidence: { items, recordingEvery: 10, recorder } });
  const t = performance.now();
  const r = store.purgeBiometrics(30);
  const ms = performance.now() - t;
  say(`\npurge: ${r.evidencePurged} evidence items + ${r.recordingsPurged} recordings in ${r.cases} cases in ${(ms / 1000).toFixed(2)} s (transaction ${(r.timings.transactionMs / 1000).toFixed(2)} s, shredding files ${(r.timings.filesMs / 1000).toFixed(2)} s, VACUUM + WAL truncate ${(r.timings.compactMs / 1000).toFixed(2)} s)`);
  out.purge = { evidence: r.evidencePurged, recordings: r.recordingsPurged, cases: r.cases, ms, timings: r.timings };
  store.close();
}

// 4. Drain a backlog to the server (bench/store-drain.ts).
out.drain = await benchDrain({ cases: DRAIN, batch: BATCH, dir, json: JSON_OUT, makeStore: (path) => CaseStore.open({ path, keyProvider: key, now: () => NOW }), seed: (store) => seedCases(store, { count: DRAIN, seed: 2, now: NOW }) });
rmSync(dir, { recursive: true, force: true });
if (JSON_OUT) console.log(JSON.stringify(out, null, 2));
