/**
 * The statistics as CSV (format=csv): the same numbers as the JSON answer, cell for cell — rates unrounded,
 * handle time in ms — so a spreadsheet and the console never disagree. RFC 4180 quoting, a UTF-8 BOM (Excel
 * otherwise reads Chinese as mojibake), CRLF line ends, and text cells that start like a formula (= + - @) get a
 * leading ' — agent ids come from workstations and must not run as formulas in a lead's spreadsheet.
 * The same conventions as the console's own export (src/main/console/csv.ts).
 */
import { FAILED_CHECK_KINDS, type ConsoleStatRow } from '../../src/shared/console';
import { OVERRIDE_REASONS } from '../../src/shared/desk';
import type { LeadStats } from './stats';

type Cell = string | number | null;

function cell(v: Cell): string {
  if (v === null) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  const text = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The override column of "no reason code given": parentheses and a space, which no reason code can hold. */
export const NO_REASON_COLUMN = 'override (none)';
export const overrideColumn = (reason: string) => (reason === '' ? NO_REASON_COLUMN : `override_${reason}`);

export const METRIC_COLUMNS = [
  'cases',
  'decided',
  'passed',
  'pass_rate',
  'compared',
  'disagreements',
  'disagreement_rate',
  'escalations',
  'reverified',
  'reverification_rate',
  'avg_handle_ms',
  ...FAILED_CHECK_KINDS.map((k) => `failed_${k}`),
] as const;

const metrics = (r: ConsoleStatRow): Cell[] => [
  r.cases,
  r.decided,
  r.passed,
  r.passRate,
  r.compared,
  r.disagreements,
  r.disagreementRate,
  r.escalations,
  r.reverified,
  r.reverificationRate,
  r.avgHandleMs,
  ...FAILED_CHECK_KINDS.map((k) => r.failedChecks[k]),
];

/**
 * One line per group, then the total (`dimension` says which). Override columns: every reason code of the desk's
 * list, any other code the data holds (older clients), and "none given", so a column set does not depend on
 * which reasons a period happened to have.
 */
export function statsCsv(stats: LeadStats): string {
  const all = [stats.total, ...stats.rows];
  const seen = new Set<string>(OVERRIDE_REASONS);
  for (const r of all) for (const reason of Object.keys(r.overrides)) if (reason !== '') seen.add(reason);
  const reasons = [...seen, ''];
  const header = ['dimension', 'key', ...METRIC_COLUMNS, ...reasons.map(overrideColumn)];
  const line = (dimension: string, r: ConsoleStatRow): Cell[] => [dimension, r.key, ...metrics(r), ...reasons.map((reason) => r.overrides[reason] ?? 0)];
  const lines = [header, ...stats.rows.map((r) => line(stats.groupBy, r)), line('total', stats.total)];
  return `\uFEFF${lines.map((l) => l.map(cell).join(',')).join('\r\n')}\r\n`;
}
