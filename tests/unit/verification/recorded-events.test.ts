/**
 * A recording's own case events in the offline report: the call's challenge and spoken-code outcomes replace
 * 'not_run', the advice is recomputed, and events of other kinds or malformed payloads are ignored.
 */
import { describe, expect, it } from 'vitest';
import type { CaseEvent } from '../../../src/shared/cases';
import type { VerificationEvent } from '../../../src/shared/verification';
import { verificationEventsOf, withRecordedOutcomes } from '../../../src/main/verification/recorded-events';
import { VerificationSession } from '../../../src/main/verification/session';
import { calibration, frames, identity, idPhoto, sample } from './builder';

function offlineReport() {
  const person = identity(5);
  let now = 0;
  const s = new VerificationSession({ serviceType: 'transact', calibration: calibration(), mode: 'offline', clock: { now: () => now }, streamId: 'call-test' });
  s.setIdPhoto(idPhoto(person));
  for (const f of frames(0, 4000, (_t, i) => (i % 3 === 0 ? { embedding: sample(person, i, 0.85) } : {}))) {
    now = f.capturedAt;
    s.onFrame(f);
  }
  return s.report();
}

const caseEvent = (type: CaseEvent['type'], payload: Record<string, unknown>, seq: number): CaseEvent => ({
  caseId: 'c1',
  seq,
  type,
  at: seq,
  actor: 'system',
  payload,
  prevHash: '0'.repeat(64),
  hash: '0'.repeat(64),
});

describe('recorded case events in the offline report', () => {
  it('without events the challenge and the spoken code stay not_run', () => {
    const report = offlineReport();
    expect(report.checks.find((c) => c.id === 'active_liveness')).toMatchObject({ status: 'not_run', reason: 'no_case_events' });
    expect(report.spokenCode.status).toBe('not_run');
    expect(withRecordedOutcomes(report, []).advice).toBe(report.advice);
  });

  it('a passed challenge and a confirmed code from the call become pass, with the step evidence, and the advice follows', () => {
    const events: VerificationEvent[] = [
      { type: 'challenge.started', at: 1, challengeId: 'challenge-1', actions: ['blink', 'nod'], stepTimeoutMs: 5000, attempt: 1 },
      { type: 'challenge.step_passed', at: 2, challengeId: 'challenge-1', index: 0, action: 'blink', evidence: [{ streamId: 'call-x', capturedAt: 2, kind: 'challenge_step' }] },
      { type: 'challenge.step_passed', at: 3, challengeId: 'challenge-1', index: 1, action: 'nod', evidence: [{ streamId: 'call-x', capturedAt: 3, kind: 'challenge_step' }] },
      { type: 'challenge.finished', at: 3, challengeId: 'challenge-1', status: 'passed', reason: 'challenge_passed' },
      { type: 'spoken_code.issued', at: 4, code: '4071' },
      { type: 'spoken_code.confirmed', at: 5, ok: true },
    ];
    const report = withRecordedOutcomes(offlineReport(), events);
    const active = report.checks.find((c) => c.id === 'active_liveness')!;
    expect(active).toMatchObject({ status: 'pass', reason: 'challenge_passed' });
    expect(active.evidence).toHaveLength(2);
    expect(report.spokenCode).toMatchObject({ status: 'pass', reason: 'confirmed' });
    expect(report.adviceReasons.some((r) => r.check === 'active_liveness' || r.check === 'spoken_code')).toBe(false);
  });

  it('a failed challenge from the call fails the advice', () => {
    const events: VerificationEvent[] = [{ type: 'challenge.finished', at: 9, challengeId: 'challenge-2', status: 'failed', reason: 'challenge_timeout' }];
    const report = withRecordedOutcomes(offlineReport(), events);
    expect(report.checks.find((c) => c.id === 'active_liveness')).toMatchObject({ status: 'fail', reason: 'challenge_timeout' });
    expect(report.advice).toBe('fail');
  });

  it('reads only verification events from the case log, skipping malformed payloads', () => {
    const events = verificationEventsOf([
      caseEvent('case.opened', { serviceType: 'transact' }, 1),
      caseEvent('verification.event', { type: 'spoken_code.confirmed', at: 5, ok: true }, 2),
      caseEvent('verification.event', { type: 'spoken_code.confirmed', at: 'soon', ok: 'yes' }, 3),
      caseEvent('check.result', { type: 'no_such_event' }, 4),
    ]);
    expect(events).toEqual([{ type: 'spoken_code.confirmed', at: 5, ok: true }]);
  });
});
