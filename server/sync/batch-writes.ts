/**
 * Writes a verified sync batch in two statements whatever its size: one upsert of every case it touches (new
 * cases inserted, heads moved on) and one insert of every new event. The rows travel as one JSON array read by
 * json_to_recordset(), so the SQL text is the same for every batch (planned cheaply, no parameter-count limit);
 * measured on PostgreSQL it inserts ~15% faster than unnest() over one array per column (whose elements node-pg
 * escapes one by one) and than a multi-row VALUES list, and as fast on PGlite.
 */
import type { CaseEvent } from '../../src/shared/cases';
import type { Queryable } from '../db/database';
import { ApiError } from '../errors';
import type { CaseRun } from './case-chains';

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

// The summary columns of a new case come from its case.opened event; a case.closed event sets the verdict.
// The WHERE on the update keeps a case another workstation created meanwhile untouched (its id is then missing
// from RETURNING); within one workstation the advisory lock and FOR UPDATE already order the writers.
const UPSERT_CASES = `
INSERT INTO cases (case_id, workstation, agent_id, service_type, id_masked, id_hash, opened_at, last_seq, last_hash, verdict, closed_at)
SELECT u.c, $1, u.ag, u.st, u.im, u.ih, u.oa, u.ls, u.lh, u.v, u.ca
FROM json_to_recordset($2::json) AS u (c text, ag text, st text, im text, ih text, oa bigint, ls int, lh text, v text, ca bigint)
ON CONFLICT (case_id) DO UPDATE SET
  last_seq = EXCLUDED.last_seq,
  last_hash = EXCLUDED.last_hash,
  updated_at = now(),
  verdict = CASE WHEN EXCLUDED.closed_at IS NULL THEN cases.verdict ELSE EXCLUDED.verdict END,
  closed_at = COALESCE(EXCLUDED.closed_at, cases.closed_at)
WHERE cases.workstation = EXCLUDED.workstation
RETURNING case_id`;

const INSERT_EVENTS = `
INSERT INTO events (case_id, seq, type, at, actor, payload, prev_hash, hash, batch_id, workstation, gseq)
SELECT u.c, u.s, u.t, u.a, u.w, u.p, u.ph, u.h, $1, $2, u.g
FROM json_to_recordset($3::json) AS u (c text, s int, t text, a bigint, w text, p text, ph text, h text, g bigint)`;

/** Upserts the cases with new events; throws CASE_OWNED_ELSEWHERE if another workstation took one meanwhile. */
export async function upsertCases(tx: Queryable, workstation: string, runs: readonly CaseRun[]): Promise<void> {
  const rows: Record<string, string | number | null>[] = [];
  for (const run of runs) {
    const last = run.fresh[run.fresh.length - 1];
    if (!last) continue;
    const opened = run.head.exists ? undefined : run.fresh.find((e) => e.type === 'case.opened');
    const closed = run.fresh.find((e) => e.type === 'case.closed');
    rows.push({
      c: run.caseId,
      ag: str(opened?.payload.agentId),
      st: str(opened?.payload.serviceType),
      im: str(opened?.payload.idNumberMasked),
      ih: str(opened?.payload.idNumberHash),
      oa: opened?.at ?? run.fresh[0]!.at,
      ls: last.seq,
      lh: last.hash,
      v: closed ? str(closed.payload.verdict) : null,
      ca: closed?.at ?? null,
    });
  }
  if (rows.length === 0) return;
  const written = await tx.query<{ case_id: string }>(UPSERT_CASES, [workstation, JSON.stringify(rows)]);
  if (written.rows.length !== rows.length) {
    const ids = new Set(written.rows.map((r) => r.case_id));
    const caseId = rows.map((r) => r.c as string).find((id) => !ids.has(id))!;
    throw new ApiError(403, 'CASE_OWNED_ELSEWHERE', `case ${caseId} belongs to another workstation`, { caseId });
  }
}

/** Inserts the new events; `payloads` are their canonical JSON texts, already computed for the size check. */
export async function insertEvents(tx: Queryable, workstation: string, batchId: string, events: readonly CaseEvent[], payloads: ReadonlyMap<CaseEvent, string>): Promise<void> {
  if (events.length === 0) return;
  const rows = events.map((e) => ({ c: e.caseId, s: e.seq, t: e.type, a: e.at, w: e.actor, p: payloads.get(e)!, ph: e.prevHash, h: e.hash, g: e.gseq ?? null }));
  await tx.query(INSERT_EVENTS, [batchId, workstation, JSON.stringify(rows)]);
}
