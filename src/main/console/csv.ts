/**
 * CSV for spreadsheets: the numbers behind every statistics chart and the case list. RFC 4180 quoting, a UTF-8 BOM
 * (Excel otherwise reads Chinese as mojibake), CRLF line ends, and text cells that start like a formula
 * (= + - @) prefixed with ' — an agent id in an imported bundle is someone else's text, and must not run in Excel.
 */
import { FAILED_CHECK_KINDS, type ConsoleCaseRow, type ConsoleStatRow, type ConsoleStats, type StatsTable } from '../../shared/console';

type Cell = string | number | boolean | null | undefined;

function cell(v: Cell): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  if (typeof v === 'boolean') return v ? '1' : '0';
  const text = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  return `\uFEFF${[header, ...rows].map((r) => r.map(cell).join(',')).join('\r\n')}\r\n`;
}

const rate = (v: number | null) => (v === null ? null : Math.round(v * 10_000) / 10_000);
const seconds = (ms: number | null) => (ms === null ? null : Math.round(ms / 100) / 10);

const METRIC_HEADER = [
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
  'avg_handle_s',
  ...FAILED_CHECK_KINDS.map((k) => `failed_${k}`),
];
const metrics = (r: ConsoleStatRow): Cell[] => [
  r.cases,
  r.decided,
  r.passed,
  rate(r.passRate),
  r.compared,
  r.disagreements,
  rate(r.disagreementRate),
  r.escalations,
  r.reverified,
  rate(r.reverificationRate),
  seconds(r.avgHandleMs),
  ...FAILED_CHECK_KINDS.map((k) => r.failedChecks[k]),
];

/** One table of the statistics (what one chart shows) as CSV. */
export function statsCsv(stats: ConsoleStats, table: StatsTable): string {
  switch (table) {
    case 'day':
      return toCsv(['day', ...METRIC_HEADER], stats.byDay.map((r) => [r.key, ...metrics(r)]));
    case 'agent':
      return toCsv(['agent_id', ...METRIC_HEADER], stats.byAgent.map((r) => [r.key, ...metrics(r)]));
    case 'overrides': {
      const rows: Cell[][] = [];
      const add = (dimension: string, r: ConsoleStatRow) => {
        for (const [reason, n] of Object.entries(r.overrides).sort(([a], [b]) => a.localeCompare(b))) rows.push([dimension, r.key, reason, n]);
      };
      add('total', stats.total);
      for (const r of stats.byDay) add('day', r);
      for (const r of stats.byAgent) add('agent', r);
      return toCsv(['dimension', 'key', 'reason_code', 'overrides'], rows);
    }
    case 'failed_checks': {
      const rows: Cell[][] = [];
      const add = (dimension: string, r: ConsoleStatRow) => {
        for (const k of FAILED_CHECK_KINDS) rows.push([dimension, r.key, k, r.failedChecks[k]]);
      };
      add('total', stats.total);
      for (const r of stats.byDay) add('day', r);
      for (const r of stats.byAgent) add('agent', r);
      return toCsv(['dimension', 'key', 'kind', 'cases'], rows);
    }
  }
}

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

/** The case list for a spreadsheet: facts only (no customer reference, no ID number). */
export function casesCsv(rows: readonly ConsoleCaseRow[]): string {
  return toCsv(
    ['case_id', 'workstation_id', 'agent_id', 'service_type', 'opened_at', 'decided_at', 'closed_at', 'handle_s', 'advice', 'decision', 'verdict', 'disagreement', 'reason_code', 'escalated', 'reverified', 'review_outcome', 'failed_checks'],
    rows.map((r) => [
      r.caseId,
      r.workstationId,
      r.agentId,
      r.serviceType,
      iso(r.openedAt),
      iso(r.decidedAt),
      iso(r.closedAt),
      r.decidedAt === null ? null : seconds(r.decidedAt - r.openedAt),
      r.advice,
      r.decision,
      r.verdict,
      r.disagreement,
      r.reasonCode,
      r.escalated,
      r.reverified,
      r.reviewOutcome,
      r.failedChecks.join(' '),
    ]),
  );
}
