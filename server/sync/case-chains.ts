/**
 * Re-verifies every case chain of a sync batch against what the server holds, in two queries for the whole batch
 * (the heads of all its cases, locked; the stored hashes of all resent events) instead of a few per case.
 */
import { GENESIS_HASH, type CaseEvent } from '../../src/shared/cases';
import { verifyRun, type RunBreak } from '../../src/common/chain';
import type { Queryable } from '../db/database';
import { ApiError } from '../errors';
import { eventHash } from './batch-encoding';
import { checkDuplicatePosition } from './checkpoints';

export interface CaseHead {
  exists: boolean;
  seq: number;
  hash: string;
}

export interface CaseRun {
  caseId: string;
  head: CaseHead;
  /** Events after the stored head (chain verified), to be stored. */
  fresh: CaseEvent[];
  /** Events the server already holds, identical. */
  duplicates: number;
}

/** Groups by case, keeping each case's events in the order sent, which must be ascending seq. */
export function groupByCase(events: readonly CaseEvent[]): Map<string, CaseEvent[]> {
  const byCase = new Map<string, CaseEvent[]>();
  for (const e of events) {
    const list = byCase.get(e.caseId);
    const last = list?.[list.length - 1];
    if (last && e.seq <= last.seq) throw new ApiError(400, 'MALFORMED_BATCH', `case ${e.caseId}: events must be in ascending seq order (seq ${e.seq} after ${last.seq})`, { caseId: e.caseId, seq: e.seq });
    if (list) list.push(e);
    else byCase.set(e.caseId, [e]);
  }
  return byCase;
}

/**
 * Checks each case in batch order (so the first broken case is the one reported, as before batching): owned by
 * this workstation, resent events identical to the stored ones (and at the same global position), the new run
 * continuing the stored head with intact links and hashes.
 */
export async function verifyCases(tx: Queryable, workstation: string, byCase: Map<string, CaseEvent[]>, payloads: ReadonlyMap<CaseEvent, string>): Promise<CaseRun[]> {
  const caseIds = [...byCase.keys()];
  // ORDER BY: batches that share cases lock them in one order (no deadlock between two instances).
  const heads = await tx.query<{ case_id: string; workstation: string; last_seq: number; last_hash: string }>(
    'SELECT case_id, workstation, last_seq, last_hash FROM cases WHERE case_id = ANY($1::text[]) ORDER BY case_id FOR UPDATE',
    [caseIds],
  );
  const headOf = new Map(heads.rows.map((r) => [r.case_id, r]));

  const knownCase: string[] = [];
  const knownSeq: number[] = [];
  for (const [caseId, events] of byCase) {
    const lastSeq = Number(headOf.get(caseId)?.last_seq ?? 0);
    for (const e of events) {
      if (e.seq > lastSeq) break;
      knownCase.push(caseId);
      knownSeq.push(e.seq);
    }
  }
  const stored = new Map<string, { hash: string; gseq: number | null }>();
  if (knownCase.length > 0) {
    const { rows } = await tx.query<{ case_id: string; seq: number; hash: string; gseq: number | null }>(
      'SELECT e.case_id, e.seq, e.hash, e.gseq FROM events e JOIN unnest($1::text[], $2::int[]) AS k (case_id, seq) ON e.case_id = k.case_id AND e.seq = k.seq',
      [knownCase, knownSeq],
    );
    for (const r of rows) stored.set(`${r.case_id}\n${Number(r.seq)}`, { hash: r.hash, gseq: r.gseq === null ? null : Number(r.gseq) });
  }

  const runs: CaseRun[] = [];
  for (const [caseId, events] of byCase) {
    const row = headOf.get(caseId);
    if (row && row.workstation !== workstation) throw new ApiError(403, 'CASE_OWNED_ELSEWHERE', `case ${caseId} belongs to another workstation`, { caseId });
    const head: CaseHead = { exists: Boolean(row), seq: Number(row?.last_seq ?? 0), hash: row?.last_hash ?? GENESIS_HASH };
    let duplicates = 0;
    for (const e of events) {
      if (e.seq > head.seq) break;
      const known = stored.get(`${caseId}\n${e.seq}`);
      if (known?.hash !== e.hash) throw new ApiError(409, 'CHAIN_FORK', `case ${caseId} seq ${e.seq}: differs from the event already stored (forged or forked chain)`, { caseId, seq: e.seq });
      checkDuplicatePosition(e, known.gseq);
      duplicates++;
    }
    const fresh = events.slice(duplicates);
    const broken = verifyFresh(fresh, head, payloads);
    if (broken) throw new ApiError(422, broken.reason, broken.message, { caseId, seq: broken.seq });
    runs.push({ caseId, head, fresh, duplicates });
  }
  return runs;
}

/**
 * verifyRun(fresh, head) with the hashes computed from the already-serialized payloads (batch-encoding.ts). It only
 * accepts on its own: at the first doubt the shared verifyRun re-checks the whole run, names the break, and decides.
 */
function verifyFresh(fresh: readonly CaseEvent[], head: CaseHead, payloads: ReadonlyMap<CaseEvent, string>): RunBreak | null {
  let prev = { seq: head.seq, hash: head.hash };
  for (const e of fresh) {
    if (e.seq !== prev.seq + 1 || e.prevHash !== prev.hash || eventHash(e, payloads.get(e)!) !== e.hash) return verifyRun(fresh, { seq: head.seq, hash: head.hash });
    prev = { seq: e.seq, hash: e.hash };
  }
  return null;
}
