/**
 * GET /api/v1/lead/sample (and POST /api/v1/lead/sample/search): the console's reproducible QA sample over the
 * cases a lead filter selects, drawn by the one algorithm the workstation uses (src/shared/console-sample.ts), so
 * the same seed over the same cases picks the same cases here and in the console's local source.
 *
 * Only the five columns a draw needs leave the database, and all of the filter's rows do: a stratum's quota is a
 * share of its size, and a case's draw key is sha256(seed, case id), which no index holds. For a year of 100,000
 * cases that is one sequential read plus 100,000 hashes (docs/lead-api.md has the measurement), hence the
 * statistics budget on these routes.
 */
import type { ConsoleSample } from '../../src/shared/console';
import { drawSampleRows, type SampleOptions } from '../../src/shared/console-sample';
import type { Queryable } from '../db/database';
import { leadWhere, type LeadFilter } from './query';

/** The statement (also what a bench EXPLAINs): no ORDER BY, the draw does not depend on the order. */
export function sampleSql(filter: LeadFilter): { sql: string; params: unknown[] } {
  const where = leadWhere(filter);
  return { sql: `SELECT case_id, COALESCE(agent_id, '') AS agent_id, COALESCE(opened_at, 0) AS opened_at, disagreement, escalated FROM cases ${where.sql}`, params: where.params };
}

export async function drawLeadSample(db: Queryable, filter: LeadFilter, options: SampleOptions): Promise<ConsoleSample> {
  const { sql, params } = sampleSql(filter);
  const { rows } = await db.query<{ case_id: string; agent_id: string; opened_at: number | string; disagreement: boolean; escalated: boolean }>(sql, params);
  return drawSampleRows(
    rows.map((r) => ({ caseId: r.case_id, agentId: r.agent_id, openedAt: Number(r.opened_at), disagreement: r.disagreement, escalated: r.escalated })),
    options,
  );
}
