/**
 * A VeriDesk recording's own case events (issue 9, item 8): a recording cannot be challenged again, but the call's
 * case log says what the challenge and the spoken code gave while it was live. `veridesk verify --db … --case …`
 * puts those outcomes into the offline report (instead of 'not_run' / 'no_case_events') and recomputes the advice.
 * Everything else in the report comes from the frames, as for any file.
 */
import type { CaseEvent } from '../../shared/cases';
import { VerificationEventSchema, type Check, type EvidenceRef, type VerificationEvent, type VerificationReport } from '../../shared/verification';
import { advise } from './advice';

/** The verification events of a case, in order (case events of type check.result / verification.event). */
export function verificationEventsOf(events: readonly CaseEvent[]): VerificationEvent[] {
  const out: VerificationEvent[] = [];
  for (const e of events) {
    if (e.type !== 'verification.event' && e.type !== 'check.result') continue;
    const parsed = VerificationEventSchema.safeParse(e.payload);
    if (parsed.success) out.push(parsed.data);
  }
  return out;
}

/** The report with the call's recorded challenge and spoken-code outcomes, and the advice recomputed. */
export function withRecordedOutcomes(report: VerificationReport, events: readonly VerificationEvent[]): VerificationReport {
  const finished = [...events].reverse().find((e) => e.type === 'challenge.finished');
  const confirmed = [...events].reverse().find((e) => e.type === 'spoken_code.confirmed');
  const checks: Check[] = report.checks.map((c) => {
    if (c.id !== 'active_liveness' || finished?.type !== 'challenge.finished') return c;
    const evidence: EvidenceRef[] = events.flatMap((e) =>
      (e.type === 'challenge.step_passed' || e.type === 'challenge.step_failed') && e.challengeId === finished.challengeId ? e.evidence : [],
    );
    return {
      id: 'active_liveness',
      status: finished.status === 'passed' ? 'pass' : 'fail',
      reason: finished.reason,
      reasonText: `from the call's case events (${finished.challengeId})`,
      ...(evidence.length ? { evidence } : {}),
    };
  });
  const spokenCode =
    confirmed?.type === 'spoken_code.confirmed'
      ? { ...report.spokenCode, status: confirmed.ok ? ('pass' as const) : ('fail' as const), reason: confirmed.ok ? ('confirmed' as const) : ('not_confirmed' as const), confirmedAt: confirmed.at }
      : report.spokenCode;
  const { advice, reasons } = advise(report.serviceType, checks, spokenCode);
  return { ...report, checks, spokenCode, advice, adviceReasons: reasons };
}
