/**
 * The keyed ledger against an attacker with write access to cases.db but not the key (issue 10 item 1): each
 * kind of tampering a review tried on a real database file, triggers dropped, must fail `verify` and be named.
 */
import Database from 'better-sqlite3';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { computeEventHash, sealEvent } from '../../../src/common/chain';
import { canonicalJson } from '../../../src/common/canonical';
import { ledgerStep } from '../../../src/common/ledger';
import { StaticKeyProvider } from '../../../src/main/caselog/key-provider';
import { MIGRATIONS } from '../../../src/main/caselog/migrations';
import { CaseStore } from '../../../src/main/caselog/store';
import { GENESIS_HASH, type CaseEvent } from '../../../src/shared/cases';

let dir: string;
let path: string;
let store: CaseStore;
const key = new StaticKeyProvider(Buffer.alloc(32, 9));

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vd-ledger-'));
  path = join(dir, 'cases.db');
  store = CaseStore.open({ path, keyProvider: key });
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

function makeCase(checks = 3): string {
  const c = store.openCase({ agentId: 'agent-7', serviceType: 'operate' });
  for (let i = 0; i < checks; i++) store.append({ caseId: c.caseId, type: 'check.result', actor: 'engine', payload: { check: 'face_match', status: 'pass', score: 0.8 + i / 100 } });
  store.closeCase(c.caseId, { verdict: 'verified', actor: 'agent-7' });
  return c.caseId;
}

/** Opens the file as an attacker would: plain SQLite, the append-only triggers dropped. */
function tamper(fn: (db: Database.Database) => void): void {
  store.close();
  const db = new Database(path);
  db.exec('DROP TRIGGER IF EXISTS events_no_update; DROP TRIGGER IF EXISTS events_no_delete;');
  fn(db);
  db.close();
  store = CaseStore.open({ path, keyProvider: key });
}

interface Row {
  case_id: string;
  seq: number;
  type: string;
  at: number;
  actor: string;
  payload: string;
  prev_hash: string;
  hash: string;
  gseq: number;
  ledger_hash: string;
}

/** Re-hashes a case's chain from `fromSeq` on, as a keyless attacker can: the ledger hashes too, all but the seals. */
function rehashFrom(db: Database.Database, caseId: string, fromSeq: number): void {
  const rows = db.prepare('SELECT * FROM events WHERE case_id = ? ORDER BY seq').all(caseId) as Row[];
  let prev = rows.find((r) => r.seq === fromSeq - 1)?.hash ?? GENESIS_HASH;
  const update = db.prepare('UPDATE events SET prev_hash = ?, hash = ? WHERE case_id = ? AND seq = ?');
  for (const r of rows.filter((x) => x.seq >= fromSeq)) {
    const e: Omit<CaseEvent, 'hash'> = { caseId, seq: r.seq, type: r.type as CaseEvent['type'], at: r.at, actor: r.actor, payload: JSON.parse(r.payload) as Record<string, unknown>, prevHash: prev };
    const hash = computeEventHash(e);
    update.run(prev, hash, caseId, r.seq);
    prev = hash;
  }
  db.prepare('UPDATE cases SET last_hash = ? WHERE case_id = ?').run(prev, caseId);
  // the keyless running ledger hash can be recomputed too; the head's MAC and the seals cannot
  const all = db.prepare('SELECT gseq, hash FROM events ORDER BY gseq').all() as { gseq: number; hash: string }[];
  let ledger = GENESIS_HASH;
  const setLedger = db.prepare('UPDATE events SET ledger_hash = ? WHERE gseq = ?');
  for (const r of all) setLedger.run((ledger = ledgerStep(ledger, r.gseq, r.hash)), r.gseq);
  db.prepare('UPDATE ledger_head SET ledger_hash = ?').run(ledger);
}

describe('keyed ledger: tampering with cases.db without the key', () => {
  it('an untouched log verifies, with one global position per event and a head on the last', () => {
    makeCase();
    makeCase(1);
    const report = store.verify();
    expect(report).toMatchObject({ ok: true, casesChecked: 2, eventsChecked: 8, breaks: [] });
    expect(report.ledger.head?.gseq).toBe(8);
    expect(report.ledger.lastGseq).toBe(8);
    const events = [...store.events(store.listCases().at(-1)!.caseId), ...store.events(store.listCases()[0]!.caseId)];
    expect(events.map((e) => e.gseq).sort((a, b) => a! - b!)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(events.every((e) => /^[0-9a-f]{64}$/.test(e.seal ?? ''))).toBe(true);
  });

  it('edit: a payload changed in place is named by case and seq (CHAIN_HASH_MISMATCH)', () => {
    makeCase();
    const id = makeCase();
    tamper((db) => db.prepare(`UPDATE events SET payload = '{"check":"face_match","score":0.99,"status":"pass"}' WHERE case_id = ? AND seq = 3`).run(id));
    const report = store.verify();
    expect(report.ok).toBe(false);
    expect(report.breaks).toEqual([expect.objectContaining({ caseId: id, seq: 3, reason: 'CHAIN_HASH_MISMATCH' })]);
  });

  it('re-hashed chain: an edit with every hash recomputed is caught by the seal at the edited seq (SEAL_MISMATCH)', () => {
    const before = makeCase();
    const id = makeCase();
    const after = makeCase();
    tamper((db) => {
      db.prepare(`UPDATE events SET payload = ? WHERE case_id = ? AND seq = 2`).run(canonicalJson({ check: 'face_match', score: 0.99, status: 'pass' }), id);
      rehashFrom(db, id, 2);
    });
    const report = store.verify();
    expect(report.ok).toBe(false);
    expect(report.breaks).toEqual([
      expect.objectContaining({ caseId: id, seq: 2, reason: 'SEAL_MISMATCH' }),
      // the attacker moved the head's ledger hash along; its MAC cannot follow
      expect.objectContaining({ caseId: '', reason: 'LEDGER_HEAD_MISMATCH' }),
    ]);
    expect(report.breaks[0]!.message).toMatch(/rewritten without the key/);
    expect(report.breaks.map((b) => b.caseId)).not.toContain(before);
    expect(report.breaks.map((b) => b.caseId)).not.toContain(after);
  });

  it('tail truncation: the last event removed and the case head fixed is named by the keyed head (LEDGER_GAP)', () => {
    makeCase();
    const id = makeCase();
    tamper((db) => {
      const last = db.prepare('SELECT seq, hash FROM events WHERE case_id = ? ORDER BY seq DESC LIMIT 2').all(id) as { seq: number; hash: string }[];
      db.prepare('DELETE FROM events WHERE case_id = ? AND seq = ?').run(id, last[0]!.seq);
      db.prepare('DELETE FROM outbox WHERE case_id = ? AND seq = ?').run(id, last[0]!.seq);
      db.prepare("UPDATE cases SET last_seq = ?, last_hash = ?, status = 'open' WHERE case_id = ?").run(last[1]!.seq, last[1]!.hash, id);
    });
    const report = store.verify();
    expect(report.ok).toBe(false);
    // the per-case view is consistent now; the keyed head still records position 10
    expect(report.breaks).toEqual([expect.objectContaining({ caseId: '', reason: 'LEDGER_GAP', gseqFrom: 10, gseqTo: 10 })]);
    expect(report.breaks[0]!.message).toMatch(/tail/);
  });

  it('tail truncation with the head record moved back too: its MAC does not verify (LEDGER_HEAD_MISMATCH)', () => {
    const id = makeCase();
    tamper((db) => {
      const rows = db.prepare('SELECT seq, hash, gseq, ledger_hash FROM events WHERE case_id = ? ORDER BY seq DESC LIMIT 2').all(id) as Row[];
      db.prepare('DELETE FROM events WHERE case_id = ? AND seq = ?').run(id, rows[0]!.seq);
      db.prepare('UPDATE cases SET last_seq = ?, last_hash = ? WHERE case_id = ?').run(rows[1]!.seq, rows[1]!.hash, id);
      db.prepare('UPDATE ledger_head SET gseq = ?, ledger_hash = ?').run(rows[1]!.gseq, rows[1]!.ledger_hash);
    });
    const report = store.verify();
    expect(report.breaks).toEqual([expect.objectContaining({ caseId: '', reason: 'LEDGER_HEAD_MISMATCH' })]);
    expect(report.breaks[0]!.message).toMatch(/altered without the key/);
  });

  it('whole-case deletion: the case, its events and outbox rows gone; the missing global positions are named', () => {
    makeCase();
    const gone = makeCase(2);
    makeCase();
    tamper((db) => {
      for (const t of ['events', 'outbox', 'cases']) db.prepare(`DELETE FROM ${t} WHERE case_id = ?`).run(gone);
    });
    const report = store.verify();
    expect(report.ok).toBe(false);
    // case 1 holds gseq 1-5, the deleted case 6-9 (opened, 2 checks, closed)
    expect(report.breaks).toEqual([expect.objectContaining({ caseId: '', reason: 'LEDGER_GAP', gseqFrom: 6, gseqTo: 9 })]);
    expect(report.breaks[0]!.message).toMatch(/global positions 6–9 are missing \(4 events deleted\)/);
  });

  it('an event inserted around the ledger (no position, no seal) is named', () => {
    const id = makeCase();
    tamper((db) => {
      const last = db.prepare('SELECT seq, hash FROM events WHERE case_id = ? ORDER BY seq DESC LIMIT 1').get(id) as { seq: number; hash: string };
      const e = sealEvent({ caseId: id, seq: last.seq + 1, type: 'note.added', at: 1, actor: 'x', payload: { note: 'hi' }, prevHash: last.hash });
      db.prepare('INSERT INTO events (case_id, seq, type, at, actor, payload, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(id, e.seq, e.type, e.at, e.actor, canonicalJson(e.payload), e.prevHash, e.hash);
      db.prepare('UPDATE cases SET last_seq = ?, last_hash = ? WHERE case_id = ?').run(e.seq, e.hash, id);
    });
    expect(store.verify().breaks).toEqual([expect.objectContaining({ caseId: id, seq: 6, reason: 'SEAL_MISMATCH' })]);
  });

  it('a copy of the log taken earlier (a rollback) is named against a server checkpoint it no longer reaches', () => {
    makeCase();
    store.close();
    copyFileSync(path, join(dir, 'older.db'));
    store = CaseStore.open({ path, keyProvider: key });
    makeCase();
    const head = store.ledgerHead()!;
    store.close();
    copyFileSync(join(dir, 'older.db'), path);
    rmSync(`${path}-wal`, { force: true });
    store = CaseStore.open({ path, keyProvider: key });
    // on its own the older copy is consistent: only an outside anchor can tell
    expect(store.verify().ok).toBe(true);
    const report = store.verify([{ gseq: head.gseq, ledgerHash: head.ledgerHash, source: 'the server' }]);
    expect(report.breaks).toEqual([expect.objectContaining({ reason: 'CHECKPOINT_ROLLBACK', gseqFrom: 6, gseqTo: 10 })]);
  });

  it('a checkpoint whose position now holds another history is named as rewritten (CHECKPOINT_FORK)', () => {
    makeCase();
    const head = store.ledgerHead()!;
    const report = store.verify([{ gseq: head.gseq, ledgerHash: 'f'.repeat(64), source: 'the server' }]);
    expect(report.breaks).toEqual([expect.objectContaining({ reason: 'CHECKPOINT_FORK', gseqFrom: head.gseq })]);
  });
});

describe('keyed ledger: migrating a log written before it', () => {
  /** A schema-3 database as the previous release wrote it: v1 chain hashes, no positions, no seals. */
  function writeVersion3(file: string, cases: { id: string; events: number }[], breakCase?: string): void {
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    for (const m of MIGRATIONS.filter((x) => x.version <= 3)) db.exec(m.sql);
    db.pragma('user_version = 3');
    for (const c of cases) {
      db.prepare("INSERT INTO cases (case_id, agent_id, service_type, opened_at, last_hash) VALUES (?, 'a', 'query', 1, ?)").run(c.id, GENESIS_HASH);
    }
    // interleaved, as real cases are written
    const heads = new Map(cases.map((c) => [c.id, { seq: 0, hash: GENESIS_HASH }]));
    for (let round = 1; round <= Math.max(...cases.map((c) => c.events)); round++) {
      for (const c of cases) {
        if (round > c.events) continue;
        const h = heads.get(c.id)!;
        const e = sealEvent({ caseId: c.id, seq: round, type: round === 1 ? 'case.opened' : 'check.result', at: 1000 + round, actor: 'a', payload: { round }, prevHash: h.hash });
        const payload = c.id === breakCase && round === 2 ? canonicalJson({ round: 99 }) : canonicalJson(e.payload);
        db.prepare('INSERT INTO events (case_id, seq, type, at, actor, payload, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(c.id, e.seq, e.type, e.at, e.actor, payload, e.prevHash, e.hash);
        db.prepare('UPDATE cases SET last_seq = ?, last_hash = ? WHERE case_id = ?').run(e.seq, e.hash, c.id);
        heads.set(c.id, { seq: e.seq, hash: e.hash });
      }
    }
    db.close();
  }

  it('gives old events positions in write order and seals them, keeps their v1 hashes, and appends after them', () => {
    store.close();
    rmSync(path, { force: true });
    writeVersion3(path, [{ id: 'old-a', events: 3 }, { id: 'old-b', events: 2 }]);
    const raw = new Database(path);
    const hashesBefore = raw.prepare('SELECT case_id, seq, hash FROM events ORDER BY case_id, seq').all();
    raw.close();
    store = CaseStore.open({ path, keyProvider: key });
    const report = store.verify();
    expect(report).toMatchObject({ ok: true, eventsChecked: 5, ledger: { legacySealedUpTo: 5, lastGseq: 5 } });
    // write order: a1 b1 a2 b2 a3
    expect(store.events('old-a').map((e) => e.gseq)).toEqual([1, 3, 5]);
    expect(store.events('old-b').map((e) => e.gseq)).toEqual([2, 4]);
    const after = new Database(path, { readonly: true });
    expect(after.prepare('SELECT case_id, seq, hash FROM events ORDER BY case_id, seq').all()).toEqual(hashesBefore);
    after.close();
    makeCase(1);
    expect(store.verify()).toMatchObject({ ok: true, ledger: { lastGseq: 8 } });
    // the update trigger is back
    expect(() => store.db.prepare("UPDATE events SET actor = 'x' WHERE gseq = 1").run()).toThrow(/append-only/);
  });

  it('does not bless a chain that was already broken: its break stays reported after sealing', () => {
    store.close();
    rmSync(path, { force: true });
    writeVersion3(path, [{ id: 'good', events: 3 }, { id: 'bad', events: 3 }], 'bad');
    store = CaseStore.open({ path, keyProvider: key });
    const report = store.verify();
    expect(report.ok).toBe(false);
    expect(report.breaks).toEqual([expect.objectContaining({ caseId: 'bad', seq: 2, reason: 'CHAIN_HASH_MISMATCH' })]);
    expect(report.breaks[0]!.message).toMatch(/before the keyed ledger/);
  });

  it('refuses to migrate (and seal) with the wrong key', () => {
    store.close();
    rmSync(path, { force: true });
    const v3 = CaseStore.open({ path, keyProvider: key });
    v3.close();
    // make it look unmigrated: user_version back to 3 would re-run migration 4's SQL; a wrong key must stop first
    expect(() => CaseStore.open({ path, keyProvider: new StaticKeyProvider(Buffer.alloc(32, 1)) })).toThrow(/key does not match/);
    store = CaseStore.open({ path, keyProvider: key });
  });
});

describe('verifyCase: one case on its own (the case page)', () => {
  it('is null for an intact case and names an edit, a re-hash and a cut tail', () => {
    const ok = makeCase();
    const edited = makeCase();
    const rehashed = makeCase();
    expect(store.verifyCase(ok)).toBeNull();
    tamper((db) => {
      db.prepare(`UPDATE events SET payload = '{"x":1}' WHERE case_id = ? AND seq = 2`).run(edited);
      db.prepare(`UPDATE events SET payload = '{"x":2}' WHERE case_id = ? AND seq = 3`).run(rehashed);
      rehashFrom(db, rehashed, 3);
    });
    expect(store.verifyCase(ok)).toBeNull();
    expect(store.verifyCase(edited)).toMatchObject({ seq: 2, reason: 'CHAIN_HASH_MISMATCH' });
    expect(store.verifyCase(rehashed)).toMatchObject({ seq: 3, reason: 'SEAL_MISMATCH' });
  });
});
