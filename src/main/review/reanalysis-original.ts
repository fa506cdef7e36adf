/**
 * The report the call produced, read back from its case events (src/shared/reanalysis.ts OriginalReport): the desk
 * (src/main/desk/desk-service.ts) writes every check change as 'check.result', advice and spoken-code changes as
 * 'verification.event', and at the decision the closing summary (advice, decision, each check's status/reason/band)
 * on 'case.closed'. The closing summary is the report at the decision, so it wins; the events fill in what it lacks.
 */
import { z } from 'zod';
import type { CaseEvent, ServiceType } from '../../shared/cases';
import { DECISIONS, type Decision } from '../../shared/desk';
import { BANDS } from '../../shared/engine';
import { FaceMatchThresholdsSchema, type OriginalReport, type SideCheck } from '../../shared/reanalysis';
import { ADVICES, CHECK_IDS, CHECK_STATUSES, type Advice, type Check, type CheckId, type VerificationEvent } from '../../shared/verification';
import { verificationEventsOf } from '../verification/recorded-events';

/** The desk's closing summary; modelVersions / thresholds are written by desks since issue 11 (older cases lack them). */
const ClosingSummarySchema = z.object({
  advice: z.enum(ADVICES),
  decision: z.enum(DECISIONS),
  against: z.boolean().optional(),
  checks: z.array(z.object({ id: z.enum(CHECK_IDS), status: z.enum(CHECK_STATUSES), reason: z.string(), band: z.enum(BANDS).optional() })),
  modelVersions: z.record(z.string(), z.string()).optional(),
  thresholds: FaceMatchThresholdsSchema.optional(),
});
type ClosingSummary = z.infer<typeof ClosingSummarySchema>;

const DecisionSchema = z.object({ decision: z.enum(DECISIONS), against: z.boolean().optional() });

function closingSummary(events: readonly CaseEvent[]): ClosingSummary | null {
  const closed = events.findLast((e) => e.type === 'case.closed');
  const parsed = ClosingSummarySchema.safeParse(closed?.payload.summary);
  return parsed.success ? parsed.data : null;
}

function lastDecision(events: readonly CaseEvent[]): { decision: Decision; against: boolean | null } | null {
  const made = events.findLast((e) => e.type === 'decision.made');
  const parsed = DecisionSchema.safeParse(made?.payload);
  return parsed.success ? { decision: parsed.data.decision, against: parsed.data.against ?? null } : null;
}

/** The thresholds face_match decided with, from its details (face-match.ts writes them with every scored result). */
function thresholdsOf(check: Check): { match: number; mismatch: number } | null {
  const parsed = FaceMatchThresholdsSchema.safeParse(check.details?.thresholds);
  return parsed.success ? parsed.data : null;
}

interface EventFacts {
  lastCheck: Map<CheckId, Check>;
  advice: Advice | null;
  thresholds: { match: number; mismatch: number } | null;
  spokenCode: OriginalReport['spokenCode'];
}

function factsOf(events: readonly VerificationEvent[]): EventFacts {
  const lastCheck = new Map<CheckId, Check>();
  let advice: Advice | null = null;
  let thresholds: EventFacts['thresholds'] = null;
  // never issued: what the live session reports (the offline 'no_case_events' does not apply to a call)
  let spokenCode: OriginalReport['spokenCode'] = { status: 'not_run', reason: 'not_issued' };
  for (const e of events) {
    if (e.type === 'check.changed') {
      lastCheck.set(e.check.id, e.check);
      if (e.check.id === 'face_match') thresholds = thresholdsOf(e.check) ?? thresholds;
    } else if (e.type === 'advice.changed') advice = e.advice;
    else if (e.type === 'spoken_code.issued') spokenCode = { status: 'pending', reason: 'awaiting_confirmation' };
    else if (e.type === 'spoken_code.confirmed') spokenCode = e.ok ? { status: 'pass', reason: 'confirmed' } : { status: 'fail', reason: 'not_confirmed' };
  }
  return { lastCheck, advice, thresholds, spokenCode };
}

const sideCheck = (c: Pick<Check, 'id' | 'status' | 'score' | 'band'> & { reason: string }): SideCheck => ({
  id: c.id,
  status: c.status,
  reason: c.reason,
  ...(c.score === undefined ? {} : { score: c.score }),
  ...(c.band ? { band: c.band } : {}),
});

/** The call's report, or null when the case log holds none (no closing summary, no check or advice event). */
export function originalReport(serviceType: ServiceType, events: readonly CaseEvent[]): OriginalReport | null {
  const verification = verificationEventsOf(events);
  const summary = closingSummary(events);
  // an ID photo or a hand-over-face request alone is not a report: a check or the advice must have been written
  if (!summary && !verification.some((e) => e.type === 'check.changed' || e.type === 'advice.changed')) return null;
  const facts = factsOf(verification);
  if (summary) {
    return {
      source: 'closing_summary',
      serviceType,
      advice: summary.advice,
      decision: summary.decision,
      against: summary.against ?? null,
      checks: summary.checks.map((c) => {
        const last = facts.lastCheck.get(c.id);
        // a score belongs to the status it was written with: quality events are spaced out, so the last one may be older
        const score = last && last.status === c.status && last.reason === c.reason ? last.score : undefined;
        return sideCheck({ id: c.id, status: c.status, reason: c.reason, score, band: c.band });
      }),
      spokenCode: facts.spokenCode,
      modelVersions: summary.modelVersions ?? null,
      thresholds: summary.thresholds ?? facts.thresholds,
    };
  }
  const decision = lastDecision(events);
  return {
    source: 'verification_events',
    serviceType,
    advice: facts.advice,
    decision: decision?.decision ?? null,
    against: decision?.against ?? null,
    // a check that never changed was never written: its value in the call is not known
    checks: CHECK_IDS.flatMap((id) => {
      const last = facts.lastCheck.get(id);
      return last ? [sideCheck(last)] : [];
    }),
    spokenCode: facts.spokenCode,
    modelVersions: null,
    thresholds: facts.thresholds,
  };
}
