/**
 * The advice from the checks, per service type (DESIGN.md §1): consult → nothing required; query → face match;
 * operate / transact → face match, passive and active liveness, face-swap screening, presence, ID consistency and
 * the spoken code the agent confirms.
 *
 *  - a required check that fails → 'fail';
 *  - a required check that is warn, pending or not_run → 'review' (it was not shown to pass);
 *  - an advisory check that fails → 'review' (an advisory check never fails a case on its own);
 *  - otherwise 'pass'. quality is guidance only and never changes the advice.
 * The engine advises; the agent decides (a decision against the advice needs a reason code, DESIGN.md §6).
 */
import type { ServiceType } from '../../shared/cases';
import type { Advice, AdviceReason, Check, CheckId, CheckStatus } from '../../shared/verification';

export type Requirement = CheckId | 'spoken_code';

export const REQUIRED_CHECKS: Record<ServiceType, readonly Requirement[]> = {
  consult: [],
  query: ['face_match'],
  operate: ['face_match', 'passive_liveness', 'active_liveness', 'face_swap', 'presence', 'id_consistency', 'spoken_code'],
  transact: ['face_match', 'passive_liveness', 'active_liveness', 'face_swap', 'presence', 'id_consistency', 'spoken_code'],
};

export function advise(serviceType: ServiceType, checks: readonly Check[], spokenCode: { status: CheckStatus; reason: string }): { advice: Advice; reasons: AdviceReason[] } {
  const required = new Set<Requirement>(REQUIRED_CHECKS[serviceType]);
  const items: Array<{ check: Requirement; status: CheckStatus; reason: string }> = [
    ...checks.map((c) => ({ check: c.id as Requirement, status: c.status, reason: c.reason as string })),
    { check: 'spoken_code', status: spokenCode.status, reason: spokenCode.reason },
  ];
  const reasons: AdviceReason[] = [];
  let advice: Advice = 'pass';
  for (const item of items) {
    if (item.check === 'quality') continue;
    const isRequired = required.has(item.check);
    if (isRequired && item.status === 'fail') advice = 'fail';
    else if (isRequired && item.status !== 'pass') advice = advice === 'fail' ? 'fail' : 'review';
    else if (!isRequired && item.status === 'fail') advice = advice === 'fail' ? 'fail' : 'review';
    else continue;
    reasons.push({ ...item, required: isRequired });
  }
  return { advice, reasons };
}
