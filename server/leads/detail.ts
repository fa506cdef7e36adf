/**
 * One case for a lead: its stored events re-verified as a chain (the server's copy proves itself, whatever the
 * summary columns say), its reviews, and — for GET /api/v1/lead/cases/:id — its summary row. The older
 * GET /api/v1/cases/:id answers the events part alone (server/reviews/routes.ts).
 */
import { verifyRun } from '../../src/common/chain';
import type { CaseEvent, Review } from '../../src/shared/cases';
import type { ConsoleCaseRow } from '../../src/shared/console';
import type { Queryable } from '../db/database';
import { toReview } from '../sync/routes';
import { ROW_COLUMNS, toConsoleRow, type CaseRowDb } from './list';

export interface CaseEvents {
  caseId: string;
  chainValid: boolean;
  chainBreak: ReturnType<typeof verifyRun>;
  events: CaseEvent[];
}

/** The case's events in seq order and the chain's verdict; null when the server holds no event of it. */
export async function caseEvents(db: Queryable, caseId: string): Promise<CaseEvents | null> {
  const { rows } = await db.query<{ case_id: string; seq: number; type: string; at: number; actor: string; payload: string; prev_hash: string; hash: string }>(
    'SELECT case_id, seq, type, at, actor, payload, prev_hash, hash FROM events WHERE case_id = $1 ORDER BY seq',
    [caseId],
  );
  if (rows.length === 0) return null;
  const events = rows.map((r) => ({ caseId: r.case_id, seq: Number(r.seq), type: r.type, at: Number(r.at), actor: r.actor, payload: JSON.parse(r.payload) as Record<string, unknown>, prevHash: r.prev_hash, hash: r.hash }) as CaseEvent);
  const chainBreak = verifyRun(events as Parameters<typeof verifyRun>[0]);
  return { caseId, chainValid: chainBreak === null, chainBreak, events };
}

export interface LeadCaseDetail extends CaseEvents {
  summary: ConsoleCaseRow & { idNumberMasked: string | null; lastSeq: number; lastHash: string };
  reviews: Review[];
}

export async function caseDetail(db: Queryable, caseId: string): Promise<LeadCaseDetail | null> {
  const { rows } = await db.query<CaseRowDb & { id_masked: string | null; last_seq: number; last_hash: string }>(
    `SELECT ${ROW_COLUMNS}, id_masked, last_seq, last_hash FROM cases WHERE case_id = $1`,
    [caseId],
  );
  const row = rows[0];
  if (!row) return null;
  const events = await caseEvents(db, caseId);
  const { rows: reviews } = await db.query<Parameters<typeof toReview>[0]>('SELECT * FROM reviews WHERE case_id = $1 ORDER BY review_id', [caseId]);
  return {
    caseId,
    summary: { ...toConsoleRow(row), idNumberMasked: row.id_masked, lastSeq: Number(row.last_seq), lastHash: row.last_hash },
    chainValid: events?.chainValid ?? true,
    chainBreak: events?.chainBreak ?? null,
    events: events?.events ?? [],
    reviews: reviews.map(toReview),
  };
}
