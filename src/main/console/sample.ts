/**
 * console.sample over a case_facts table (local or imported cases): the filter's rows, five columns of them, drawn
 * by the one sampling algorithm the backend uses too (src/shared/console-sample.ts says how and why). The backend
 * source asks the server instead (GET /api/v1/lead/sample, ./backend-source.ts), which draws the same way.
 */
import type { ConsoleFilter, ConsoleSample } from '../../shared/console';
import { drawSampleRows, type SampleOptions } from '../../shared/console-sample';
import { factsWhere } from './facts-filter';
import type { FactsDb } from './facts-list';

export type { SampleOptions } from '../../shared/console-sample';

export function drawSample(src: FactsDb, filter: ConsoleFilter, options: SampleOptions): ConsoleSample {
  const where = factsWhere(filter, src.idHash);
  const rows = src.db.prepare(`SELECT case_id, agent_id, opened_at, disagreement, escalated FROM case_facts ${where.sql}`).all(...where.params) as {
    case_id: string;
    agent_id: string;
    opened_at: number;
    disagreement: number;
    escalated: number;
  }[];
  return drawSampleRows(
    rows.map((r) => ({ caseId: r.case_id, agentId: r.agent_id, openedAt: r.opened_at, disagreement: r.disagreement === 1, escalated: r.escalated === 1 })),
    options,
  );
}
