/**
 * What the verification report says, as script events (src/shared/scripts.ts): the checks' statuses and the
 * current quality issues, so the script panel can suggest the matching step (too dark → the lighting step).
 */
import type { QualityIssue } from '../../shared/engine';
import { QUALITY_ISSUES } from '../../shared/engine';
import type { ScriptEvent } from '../../shared/scripts';
import { VERIFICATION_SIGNALS } from '../../shared/scripts';
import type { VerificationReport } from '../../shared/verification';

const SIGNALS = new Set<string>(VERIFICATION_SIGNALS);
const ISSUES = new Set<string>(QUALITY_ISSUES);

/** The events in force now, oldest first (suggestStep's order): quality issues, then check outcomes. */
export function scriptEvents(report: VerificationReport, currentIssues: readonly QualityIssue[]): ScriptEvent[] {
  const events: ScriptEvent[] = [];
  for (const issue of currentIssues) if (ISSUES.has(issue) && issue !== 'eyes_closed') events.push(issue);
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
