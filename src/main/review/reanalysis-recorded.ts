/**
 * What the call's case log adds to a re-analysis beyond the frames (src/main/verification/recorded-events.ts does
 * the challenge and spoken-code outcomes): the customer page's device report (virtual-camera marker), the ID
 * number's birth date and gender, the hand-over-face requests, and the call's event times moved onto the video's
 * clock (ms from the recording's start), so the report has no wall-clock times.
 */
import { z } from 'zod';
import type { CaseEvent } from '../../shared/cases';
import { idCheckDigit } from '../../shared/id-number';
import type { Check, EvidenceRef, SpokenCodeReport, VerificationEvent, VerificationReport } from '../../shared/verification';
import { advise } from '../verification/advice';
import { withRecordedOutcomes } from '../verification/recorded-events';
import type { DeviceInput } from '../verification/session';

const DeviceReportSchema = z.object({
  videoLabel: z.string(),
  virtualCamera: z.string().nullable().optional(),
  platform: z.enum(['phone', 'pc']).optional(),
});

/** The customer page's last device report (call-service.ts writes it as 'device.reported'). */
export function deviceOf(events: readonly CaseEvent[]): DeviceInput | null {
  const parsed = DeviceReportSchema.safeParse(events.findLast((e) => e.type === 'device.reported')?.payload);
  if (!parsed.success) return null;
  const { videoLabel, virtualCamera, platform } = parsed.data;
  return { videoLabel, ...(virtualCamera !== undefined ? { virtualCamera } : {}), ...(platform ? { platform } : {}) };
}

const IdRecordedSchema = z.object({ birthDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/), gender: z.enum(['male', 'female']) });

/**
 * A stand-in for the customer's ID number. The case log never keeps the number (only its mask, its keyed hash and,
 * on 'id.recorded', the birth date and gender); id_consistency uses exactly those two from it, and the desk refused
 * any number that was not valid. So a valid number with the same birth date and gender digit gives the same check;
 * it exists only in memory and never appears in the report (region 000000, sequence 00x).
 */
export function idNumberStandIn(events: readonly CaseEvent[]): string | null {
  const parsed = IdRecordedSchema.safeParse(events.findLast((e) => e.type === 'id.recorded')?.payload);
  if (!parsed.success) return null;
  const first17 = `000000${parsed.data.birthDate.replaceAll('-', '')}00${parsed.data.gender === 'male' ? '1' : '2'}`;
  return first17 + idCheckDigit(first17);
}

const shiftRefs = (refs: readonly EvidenceRef[], offset: number): EvidenceRef[] => refs.map((r) => ({ ...r, capturedAt: r.capturedAt - offset }));

/** One event on the video's clock: every time in it minus `offset` (the recording's start, epoch ms). */
export function toVideoTime(event: VerificationEvent, offset: number): VerificationEvent {
  const shifted = { ...event, at: event.at - offset };
  switch (shifted.type) {
    case 'check.changed':
      return { ...shifted, check: { ...shifted.check, ...(shifted.check.evidence ? { evidence: shiftRefs(shifted.check.evidence, offset) } : {}) } };
    case 'challenge.step_started':
    case 'occlusion_test.started':
      return { ...shifted, deadline: shifted.deadline - offset };
    case 'challenge.step_passed':
    case 'challenge.step_failed':
      return { ...shifted, evidence: shiftRefs(shifted.evidence, offset) };
    default:
      return shifted;
  }
}

/** When (video ms) the agent asked for a hand over the face: the session is asked again at the same moment. */
export const occlusionRequests = (events: readonly VerificationEvent[]): number[] =>
  events.flatMap((e) => (e.type === 'occlusion_test.started' ? [e.at] : [])).sort((a, b) => a - b);

type Issued = Extract<VerificationEvent, { type: 'spoken_code.issued' }>;

/** The spoken code as the call had it: the code last issued (recorded-events.ts adds only the confirmation). */
function spokenCodeOf(afterRecorded: SpokenCodeReport, events: readonly VerificationEvent[]): SpokenCodeReport {
  const issued = events.findLast((e): e is Issued => e.type === 'spoken_code.issued');
  const code = issued ? { code: issued.code, issuedAt: issued.at } : {};
  if (afterRecorded.reason !== 'no_case_events') return { ...afterRecorded, ...code };
  return issued ? { status: 'pending', reason: 'awaiting_confirmation', ...code } : { status: 'not_run', reason: 'not_issued' };
}

/**
 * The report with the call's challenge and spoken-code outcomes (recorded-events.ts), and, where the call had
 * none, what the live session would have said: 'not_started' / 'not_issued' (or still awaiting confirmation),
 * not the offline 'no_case_events' — these case events exist, they just hold no challenge or code. Advice recomputed.
 */
export function withCallOutcomes(report: VerificationReport, events: readonly VerificationEvent[]): VerificationReport {
  const r = withRecordedOutcomes(report, events);
  const started = events.some((e) => e.type === 'challenge.started');
  const checks: Check[] = r.checks.map((c) =>
    c.id === 'active_liveness' && c.reason === 'no_case_events'
      ? started
        ? { id: c.id, status: 'pending', reason: 'challenge_running', reasonText: "a challenge was started in the call but did not finish (from the call's case events)" }
        : { id: c.id, status: 'not_run', reason: 'not_started', reasonText: "no challenge was run in the call (from the call's case events)" }
      : c,
  );
  const spokenCode = spokenCodeOf(r.spokenCode, events);
  const { advice, reasons } = advise(r.serviceType, checks, spokenCode);
  return { ...r, checks, spokenCode, advice, adviceReasons: reasons };
}
