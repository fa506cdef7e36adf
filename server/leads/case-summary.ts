/**
 * What the lead API filters and counts on, folded from a case's events at ingest (server/sync/batch-writes.ts):
 * the engine's advice, the agent's decision and whether it went against the advice, the reason code, escalation,
 * when the decision was made, re-verification, the kinds of checks that failed, the customer reference's keyed
 * hash. The events stay the record; these columns are derived and migration 6 (./migration.ts) recomputes them
 * from stored events with the same rules in SQL (tests/unit/server/leads.test.ts holds the two to each other).
 *
 * A case's events reach the server in several batches, so a batch yields a *delta* that the upsert merges into
 * the stored row, and every rule is chosen so that merging per batch equals folding the whole chain at once:
 * - advice, decision, against, reason code: the last value in chain order wins (COALESCE(batch, stored));
 * - decidedAt: the first event that yields a decision (COALESCE(stored, batch));
 * - escalated, reverified: once true, true (OR); challenges and ID photos: counted (+);
 * - failed checks: a set (union).
 * The rules follow the workstation's own fold (src/main/caselog/case-facts.ts) so that a case shows the same facts
 * in the 质检 console whether it came from the local log, a bundle or this server.
 */
import type { CaseEvent } from '../../src/shared/cases';
import { CHECK_KIND, checkResultOf, decisionOfVerdict, failedKind, type FailedCheckKind } from '../../src/shared/console';

/**
 * Values that land in indexed text columns: short tokens only. A workstation could put anything in a payload;
 * a long string would not fit a btree entry and would fail the whole batch, so it is dropped instead.
 */
const TOKEN = /^[A-Za-z0-9._:-]{1,64}$/;
export const tokenOf = (v: unknown): string | null => (typeof v === 'string' && TOKEN.test(v) ? v : null);
/** The keyed hash the workstation computes for a customer reference (hex HMAC-SHA256); never the reference. */
export const refHashOf = (v: unknown): string | null => (typeof v === 'string' && /^[0-9a-f]{64}$/.test(v) ? v : null);


/** SQL for migration 6's backfill: CHECK_KIND as a CASE (kept next to the map it mirrors). */
export const CHECK_KIND_SQL = `CASE chk ${Object.entries(CHECK_KIND)
  .map(([id, kind]) => `WHEN '${id}' THEN '${kind}'`)
  .join(' ')} END`;

const objectOf = (v: unknown): Record<string, unknown> | null => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null);

/** One batch's contribution to a case's summary columns (the upsert's row; see the merge rules above). */
export interface SummaryDelta {
  advice: string | null;
  decision: string | null;
  /** The desk's own word on whether the decision went against the advice (null: it did not say). */
  against: boolean | null;
  reasonCode: string | null;
  escalated: boolean;
  decidedAt: number | null;
  challenges: number;
  idPhotos: number;
  /** Re-verified within this batch alone (the upsert adds what needs the stored row). */
  reverified: boolean;
  failedChecks: FailedCheckKind[];
}

/** The delta of `events` (one case's new events, in seq order). */
export function summarize(events: readonly CaseEvent[]): SummaryDelta {
  const d: SummaryDelta = { advice: null, decision: null, against: null, reasonCode: null, escalated: false, decidedAt: null, challenges: 0, idPhotos: 0, reverified: false, failedChecks: [] };
  const failed = new Set<FailedCheckKind>();
  const flag = (kind: FailedCheckKind | null) => {
    if (kind) failed.add(kind);
  };
  const decided = (decision: string | null, at: number) => {
    if (decision === null) return;
    d.decision = decision;
    d.decidedAt ??= at;
  };
  for (const e of events) {
    const p = e.payload;
    switch (e.type) {
      case 'check.result': {
        const c = checkResultOf(p);
        if (c) flag(failedKind(c.id, c.status, c.reason));
        break;
      }
      case 'verification.event':
        if (p.type === 'advice.changed') d.advice = tokenOf(p.advice) ?? d.advice;
        else if (p.type === 'challenge.started') d.challenges++;
        else if (p.type === 'challenge.finished' && p.status === 'failed') flag('liveness');
        else if (p.type === 'spoken_code.confirmed' && p.ok === false) flag('spoken_code');
        else if (p.type === 'id_photo.set') {
          d.idPhotos++;
          // a new ID photo after the engine had advised on the old one: the verification started over
          if (d.advice !== null) d.reverified = true;
        }
        if (d.challenges >= 2) d.reverified = true;
        break;
      case 'decision.made': {
        d.advice = tokenOf(p.advice) ?? d.advice;
        decided(tokenOf(p.decision) ?? decisionOfVerdict(p.verdict), e.at);
        const explicit = typeof p.against === 'boolean' ? p.against : typeof p.followsAdvice === 'boolean' ? !p.followsAdvice : null;
        d.against = explicit ?? d.against;
        d.reasonCode = tokenOf(p.reasonCode) ?? d.reasonCode;
        break;
      }
      case 'case.escalated':
        d.escalated = true;
        break;
      case 'case.closed': {
        const s = objectOf(p.summary);
        d.advice = tokenOf(s?.advice) ?? d.advice;
        decided(tokenOf(s?.decision) ?? decisionOfVerdict(p.verdict), e.at);
        d.against = typeof s?.against === 'boolean' ? s.against : d.against;
        d.reasonCode = tokenOf(p.reasonCode) ?? d.reasonCode;
        if (Array.isArray(s?.checks)) for (const c of s.checks as unknown[]) flag(failedKind(objectOf(c)?.id, objectOf(c)?.status, objectOf(c)?.reason));
        break;
      }
    }
  }
  d.failedChecks = [...failed].sort();
  return d;
}
