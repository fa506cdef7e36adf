/**
 * What the verification report says, as script events (src/shared/scripts.ts): the checks' statuses and the
 * current quality issues, so the script panel can suggest the matching step (too dark → the lighting step).
 */
import { QUALITY_ISSUES, type QualityIssue } from '../../shared/engine';
import type { ScriptEvent } from '../../shared/scripts';
import { VERIFICATION_SIGNALS } from '../../shared/scripts';
import type { VerificationReport } from '../../shared/verification';

const SIGNALS = new Set<string>(VERIFICATION_SIGNALS);
const ISSUES = new Set<string>(QUALITY_ISSUES);

/**
 * The events in force now, oldest first (suggestStep's order): the picture-quality issue the quality check names
 * (the most important one present over its window — a dark picture also reads as blurred, and the light is what
 * to fix first), then check outcomes.
 */
export function scriptEvents(report: VerificationReport): ScriptEvent[] {
  const events: ScriptEvent[] = [];
  const quality = report.checks.find((c) => c.id === 'quality');
  if (quality && (quality.status === 'warn' || quality.status === 'fail') && ISSUES.has(quality.reason) && quality.reason !== 'eyes_closed') {
    events.push(quality.reason as QualityIssue);
  }
  for (const check of report.checks) {
    if (check.id === 'presence' && check.status !== 'pass' && check.reason === 'second_face') events.push('second_face');
    if (check.id === 'quality' && check.reason === 'no_face') events.push('no_face');
    if (check.status === 'pass' || check.status === 'warn' || check.status === 'fail') {
      const signal = `${check.id}:${check.status}`;
      if (SIGNALS.has(signal)) events.push(signal as ScriptEvent);
    }
  }
  const running = report.challenge?.steps.find((s) => s.status === 'running');
  if (running) events.push(`challenge:${running.action}` as ScriptEvent);
  if (report.spokenCode.status === 'pending' && report.spokenCode.reason === 'awaiting_confirmation') events.push('spoken_code');
  return [...new Set(events)];
}
