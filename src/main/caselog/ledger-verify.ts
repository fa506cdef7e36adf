/**
 * `cases verify` over the whole log in one pass in global order (docs/caselog.md "What the log proves"):
 * every case's chain (gaps, links, hashes), every event's seal, the global sequence (no position missing),
 * the keyed head record, each case's head, and the checkpoints a server acknowledged or holds (anchors).
 * Names the first break of each case and each missing range of global positions.
 */
import type Database from 'better-sqlite3';
import { computeEventHash } from '../../common/chain';
import { LEDGER_GENESIS, ledgerStep } from '../../common/ledger';
import { GENESIS_HASH, type ChainBreak } from '../../shared/cases';
import { rowToEvent, type EventRow } from './event-row';
import { headMatches, sealMatches, type LedgerHead } from './ledger';

/** A (gseq, ledgerHash) the log must still agree with: a server's checkpoint or its acknowledgement. */
export interface LedgerAnchor {
  gseq: number;
  ledgerHash: string;
  /** Who holds it, for the message: e.g. "the server https://sync.example" or "an acknowledgement of …". */
  source: string;
}

export interface VerifyReport {
  ok: boolean;
  casesChecked: number;
  eventsChecked: number;
  /** The first break of each broken case, then the ledger's own breaks (caseId ''), in that order. */
  breaks: ChainBreak[];
  ledger: {
    head: { gseq: number; ledgerHash: string; at: number } | null;
    /** The highest global position present. */
    lastGseq: number;
    /** Events written before the keyed ledger, sealed by its migration (their content was checked then). */
    legacySealedUpTo: number | null;
    anchorsChecked: number;
  };
}

export interface VerifyInput {
  db: Database.Database;
  ledgerKey: Buffer;
  anchors?: readonly LedgerAnchor[];
}

interface CaseState {
  seq: number;
  hash: string;
  broken: boolean;
}

export function verifyLedger({ db, ledgerKey, anchors = [] }: VerifyInput): VerifyReport {
  const caseBreaks: ChainBreak[] = [];
  const ledgerBreaks: ChainBreak[] = [];
  const cases = new Map<string, CaseState>();
  const wanted = new Map<number, LedgerAnchor[]>();
  for (const a of anchors) wanted.set(a.gseq, [...(wanted.get(a.gseq) ?? []), a]);
  const recomputedAt = new Map<number, string | null>();

  const breakCase = (state: CaseState, b: ChainBreak) => {
    if (state.broken) return;
    state.broken = true;
    caseBreaks.push(b);
  };

  let eventsChecked = 0;
  let expected = 1;
  let ledgerHash: string | null = LEDGER_GENESIS;
  // sealed events in global order (the index), then any written around the ledger (no position) per case
  const rows = function* (): Generator<EventRow> {
    yield* db.prepare('SELECT * FROM events WHERE gseq IS NOT NULL ORDER BY gseq').iterate() as Iterable<EventRow>;
    yield* db.prepare('SELECT * FROM events WHERE gseq IS NULL ORDER BY case_id, seq').iterate() as Iterable<EventRow>;
  };
  for (const r of rows()) {
    eventsChecked++;
    const e = rowToEvent(r);
    let state = cases.get(e.caseId);
    if (!state) cases.set(e.caseId, (state = { seq: 0, hash: GENESIS_HASH, broken: false }));
    // per-case chain: content, link, order
    if (e.seq !== state.seq + 1) {
      breakCase(state, { caseId: e.caseId, seq: state.seq + 1, reason: 'CHAIN_GAP', message: `case ${e.caseId}: event seq ${state.seq + 1} is missing (next present is ${e.seq})` });
    } else if (e.prevHash !== state.hash) {
      breakCase(state, { caseId: e.caseId, seq: e.seq, reason: 'CHAIN_PREV_MISMATCH', message: `case ${e.caseId} seq ${e.seq}: prev_hash does not match the hash of seq ${state.seq}` });
    } else if (computeEventHash(e) !== e.hash) {
      breakCase(state, { caseId: e.caseId, seq: e.seq, reason: 'CHAIN_HASH_MISMATCH', message: `case ${e.caseId} seq ${e.seq}: content does not match its hash (edited)` });
    } else if (typeof r.gseq !== 'number' || !sealMatches(ledgerKey, { gseq: r.gseq, caseId: e.caseId, seq: e.seq, hash: e.hash, seal: r.seal })) {
      breakCase(state, {
        caseId: e.caseId,
        seq: e.seq,
        reason: 'SEAL_MISMATCH',
        message:
          typeof r.gseq !== 'number'
            ? `case ${e.caseId} seq ${e.seq}: written around the ledger (no global position, no seal)`
            : `case ${e.caseId} seq ${e.seq}: the seal does not match (content and hashes were rewritten without the key)`,
      });
    }
    state.seq = e.seq;
    state.hash = e.hash;
    if (typeof r.gseq !== 'number') continue;
    // global sequence: a missing position is a deleted event (a whole case, a run, a tail)
    if (r.gseq > expected) {
      ledgerBreaks.push(gapBreak(expected, r.gseq - 1, 'deleted'));
      // past a gap the running hash cannot be recomputed: carry on from the stored one
      ledgerHash = r.ledger_hash ?? null;
    } else if (ledgerHash !== null) {
      ledgerHash = ledgerStep(ledgerHash, r.gseq, e.hash);
    }
    expected = r.gseq + 1;
    if (wanted.has(r.gseq)) recomputedAt.set(r.gseq, ledgerHash);
  }
  const lastGseq = expected - 1;

  // each case's head (kept in `cases`) against the last event present
  let casesChecked = 0;
  for (const h of db.prepare('SELECT case_id, last_seq, last_hash FROM cases ORDER BY case_id').iterate() as Iterable<{ case_id: string; last_seq: number; last_hash: string }>) {
    casesChecked++;
    const state = cases.get(h.case_id);
    cases.delete(h.case_id);
    if (!state) {
      if (h.last_seq > 0) caseBreaks.push({ caseId: h.case_id, seq: 1, reason: 'CHAIN_TRUNCATED', message: `case ${h.case_id}: all ${h.last_seq} events are missing` });
      continue;
    }
    if (state.broken) continue;
    if (h.last_seq > state.seq || (h.last_seq === state.seq && h.last_hash !== state.hash)) {
      const seq = h.last_seq > state.seq ? state.seq + 1 : state.seq;
      caseBreaks.push({ caseId: h.case_id, seq, reason: 'CHAIN_TRUNCATED', message: `case ${h.case_id}: event seq ${seq} is missing or replaced (the case head records seq ${h.last_seq})` });
    }
  }
  // events of a case the cases table no longer knows (its row deleted, the events left)
  for (const [caseId, state] of cases) {
    casesChecked++;
    if (!state.broken) caseBreaks.push({ caseId, seq: 1, reason: 'CHAIN_TRUNCATED', message: `case ${caseId}: has events but no case record (deleted)` });
  }

  // the keyed head record
  const head = (db.prepare('SELECT gseq, ledger_hash AS ledgerHash, at, mac FROM ledger_head WHERE id = 1').get() as LedgerHead | undefined) ?? null;
  if (!head) {
    if (lastGseq > 0) ledgerBreaks.push(headBreak(`the ledger head record is missing (the log holds positions up to ${lastGseq})`));
  } else if (!headMatches(ledgerKey, head)) {
    ledgerBreaks.push(headBreak(`the ledger head record (gseq ${head.gseq}) was altered without the key`));
  } else if (head.gseq > lastGseq) {
    ledgerBreaks.push(gapBreak(lastGseq + 1, head.gseq, 'cut off the tail'));
  } else if (head.gseq < lastGseq) {
    ledgerBreaks.push(headBreak(`events up to gseq ${lastGseq} lie beyond the ledger head (gseq ${head.gseq}): written around the ledger`));
  } else if (ledgerHash !== null && head.ledgerHash !== ledgerHash) {
    ledgerBreaks.push(headBreak(`the ledger hash at gseq ${head.gseq} does not match the events (rewritten)`));
  }

  // anchors: what a server holds, or acknowledged, must still be in the log, unchanged
  for (const a of anchors) {
    if (a.gseq > lastGseq) {
      ledgerBreaks.push({ caseId: '', seq: 0, gseqFrom: lastGseq + 1, gseqTo: a.gseq, reason: 'CHECKPOINT_ROLLBACK', message: `${a.source} holds a checkpoint at gseq ${a.gseq}; the log ends at ${lastGseq}: rolled back` });
      continue;
    }
    const local = recomputedAt.get(a.gseq);
    if (local === undefined) {
      ledgerBreaks.push({ caseId: '', seq: 0, gseqFrom: a.gseq, gseqTo: a.gseq, reason: 'CHECKPOINT_ROLLBACK', message: `${a.source} holds a checkpoint at gseq ${a.gseq}; that position is missing from the log` });
    } else if (local !== a.ledgerHash) {
      ledgerBreaks.push({ caseId: '', seq: 0, gseqFrom: a.gseq, gseqTo: a.gseq, reason: 'CHECKPOINT_FORK', message: `the log differs from ${a.source}'s checkpoint at gseq ${a.gseq}: events at or before it were rewritten` });
    }
  }

  const legacyBreaks = readLegacyBreaks(db);
  const breaks = [...mergeBreaks(caseBreaks, legacyBreaks), ...ledgerBreaks];
  const legacy = readMetaJson<{ upTo: number }>(db, 'ledger.legacy_sealed');
  return {
    ok: breaks.length === 0,
    casesChecked,
    eventsChecked,
    breaks,
    ledger: { head: head && { gseq: head.gseq, ledgerHash: head.ledgerHash, at: head.at }, lastGseq, legacySealedUpTo: legacy?.upTo ?? null, anchorsChecked: anchors.length },
  };
}

const gapBreak = (from: number, to: number, how: string): ChainBreak => ({
  caseId: '',
  seq: 0,
  gseqFrom: from,
  gseqTo: to,
  reason: 'LEDGER_GAP',
  message: from === to ? `global position ${from} is missing (${how})` : `global positions ${from}–${to} are missing (${to - from + 1} events ${how})`,
});

const headBreak = (message: string): ChainBreak => ({ caseId: '', seq: 0, reason: 'LEDGER_HEAD_MISMATCH', message });

function readMetaJson<T>(db: Database.Database, key: string): T | null {
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
  if (!row) return null;
  try {
    return JSON.parse(row.value) as T;
  } catch {
    return null;
  }
}

/** Chains that were already broken when the keyed-ledger migration sealed them stay reported. */
function readLegacyBreaks(db: Database.Database): ChainBreak[] {
  const list = readMetaJson<ChainBreak[]>(db, 'ledger.legacy_breaks') ?? [];
  return list.map((b) => ({ ...b, message: `${b.message} (already broken before the keyed ledger)` }));
}

/** One break per case, the earliest, sorted by case id. */
function mergeBreaks(a: ChainBreak[], b: ChainBreak[]): ChainBreak[] {
  const first = new Map<string, ChainBreak>();
  for (const x of [...b, ...a]) {
    const seen = first.get(x.caseId);
    if (!seen || x.seq < seen.seq) first.set(x.caseId, x);
  }
  return [...first.values()].sort((x, y) => (x.caseId < y.caseId ? -1 : x.caseId > y.caseId ? 1 : x.seq - y.seq));
}
