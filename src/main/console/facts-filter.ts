/**
 * The console filter (src/shared/console.ts) as a WHERE clause over case_facts (src/main/caselog/case-facts.ts).
 * Values travel as parameters; only column names from fixed tables and the yes/no literals are written into the
 * SQL — the literals on purpose: SQLite uses a partial index (`WHERE disagreement = 1`) only when the query says
 * the same literal, not a bound parameter.
 */
import type { ConsoleFilter } from '../../shared/console';
import { FAIL_COLUMN, customerRefHash, type KeyedHash } from '../caselog/case-facts';

export interface SqlWhere {
  /** '' or 'WHERE …' */
  sql: string;
  params: (string | number)[];
}

/** Above every character a case id can hold: `case_id >= p AND case_id < p || MAX` is the prefix as an index range. */
const MAX_CHAR = '\u{10FFFF}';

/** `extra`: more conditions with their parameters (the keyset's), ANDed after the filter's. */
export function factsWhere(filter: ConsoleFilter, idHash: KeyedHash, extra?: { sql: string; params: (string | number)[] }): SqlWhere {
  const where: string[] = [];
  const params: (string | number)[] = [];
  const add = (clause: string, ...values: (string | number)[]) => {
    where.push(clause);
    params.push(...values);
  };
  const yesNo = (column: string, value: boolean | undefined) => {
    if (value !== undefined) where.push(`${column} = ${value ? 1 : 0}`);
  };
  if (filter.caseId) add('case_id >= ? AND case_id < ?', filter.caseId, filter.caseId + MAX_CHAR);
  if (filter.agentId) add('agent_id = ?', filter.agentId);
  // the reference itself is never compared, stored or logged: only its keyed hash
  if (filter.customerRef) add('customer_ref_hash = ?', customerRefHash(idHash, filter.customerRef));
  if (filter.from !== undefined) add('opened_at >= ?', filter.from);
  if (filter.to !== undefined) add('opened_at < ?', filter.to);
  if (filter.serviceType) add('service_type = ?', filter.serviceType);
  if (filter.advice) add('advice = ?', filter.advice);
  if (filter.decision === 'none') where.push('decision IS NULL');
  else if (filter.decision) add('decision = ?', filter.decision);
  yesNo('disagreement', filter.disagreement);
  yesNo('escalated', filter.escalated);
  yesNo('reverified', filter.reverified);
  if (filter.review === 'unreviewed') where.push('review_outcome IS NULL');
  else if (filter.review === 'reviewed') where.push('review_outcome IS NOT NULL');
  else if (filter.review) add('review_outcome = ?', filter.review);
  if (filter.failedCheck) where.push(`${FAIL_COLUMN[filter.failedCheck]} = 1`);
  if (extra) add(extra.sql, ...extra.params);
  return { sql: where.length ? `WHERE ${where.join(' AND ')}` : '', params };
}
