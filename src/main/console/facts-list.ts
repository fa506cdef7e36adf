/**
 * console.list over a case_facts table: filtered, newest first, keyset-paginated on (opened_at DESC, case_id)
 * (the cursor of src/shared/console.ts). Each page is one index range scan whatever page it is; OFFSET would read
 * and throw away every row before the page.
 */
import type Database from 'better-sqlite3';
import { decodeCursor, encodeCursor, type ConsoleCaseRow, type ConsoleFilter, type ConsolePage, type ConsoleSource } from '../../shared/console';
import type { ReviewOutcome, ServiceType, Verdict } from '../../shared/cases';
import { failedKindsOf, type FactsRow, type KeyedHash } from '../caselog/case-facts';
import { factsWhere } from './facts-filter';

export interface FactsDb {
  db: Database.Database;
  source: ConsoleSource;
  /** Keyed hash for customer references (the case log's lookup key). */
  idHash: KeyedHash;
  /** The workstation of a listed case (local: this one; bundle: the one it was imported from). */
  workstationOf(caseIds: readonly string[]): Map<string, string>;
}

export function toRow(f: FactsRow, source: ConsoleSource, workstationId: string | null): ConsoleCaseRow {
  return {
    caseId: f.case_id,
    source,
    workstationId,
    agentId: f.agent_id,
    serviceType: f.service_type as ServiceType,
    openedAt: f.opened_at,
    decidedAt: f.decided_at,
    closedAt: f.closed_at,
    advice: f.advice as ConsoleCaseRow['advice'],
    decision: f.decision as ConsoleCaseRow['decision'],
    verdict: f.verdict as Verdict | null,
    disagreement: f.disagreement === 1,
    reasonCode: f.reason_code,
    escalated: f.escalated === 1,
    reverified: f.reverified === 1,
    reviewOutcome: f.review_outcome as ReviewOutcome | null,
    failedChecks: failedKindsOf(f),
  };
}

export function listFacts(src: FactsDb, filter: ConsoleFilter, cursor: string | null | undefined, limit: number): ConsolePage {
  const keyset = cursor ? decodeCursor(cursor) : null;
  const where = factsWhere(
    filter,
    src.idHash,
    keyset ? { sql: 'opened_at <= ? AND (opened_at < ? OR case_id > ?)', params: [keyset.openedAt, keyset.openedAt, keyset.caseId] } : undefined,
  );
  // one row more than asked says whether there is a next page
  const rows = src.db.prepare(`SELECT * FROM case_facts ${where.sql} ORDER BY opened_at DESC, case_id LIMIT ?`).all(...where.params, limit + 1) as FactsRow[];
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  const workstations = src.workstationOf(page.map((r) => r.case_id));
  const last = page[page.length - 1];
  return {
    source: src.source,
    rows: page.map((r) => toRow(r, src.source, workstations.get(r.case_id) ?? null)),
    nextCursor: more && last ? encodeCursor({ openedAt: last.opened_at, caseId: last.case_id }) : null,
  };
}

/** Rows for given case ids (exports), in the order asked; unknown ids are left out. */
export function factsByIds(src: FactsDb, caseIds: readonly string[]): ConsoleCaseRow[] {
  const get = src.db.prepare('SELECT * FROM case_facts WHERE case_id = ?');
  const workstations = src.workstationOf(caseIds);
  const out: ConsoleCaseRow[] = [];
  for (const id of caseIds) {
    const f = get.get(id) as FactsRow | undefined;
    if (f) out.push(toRow(f, src.source, workstations.get(id) ?? null));
  }
  return out;
}
