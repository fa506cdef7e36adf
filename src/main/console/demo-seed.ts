/**
 * Cases written the way the verification desk writes them (src/main/desk/desk-service.ts): advice.changed, check
 * results, challenges, decision.made with {decision, advice, against, reasonCode}, case.closed with the QA summary,
 * escalations and reviews — so the console's facts are exercised on the real event shapes. Tests write exact
 * cases with writeDeskCase; the benchmark and the end-to-end test seed many with seedConsoleCases.
 */
import { seededRandom } from '../../common/seeded-random';
import type { ReviewOutcome, ServiceType } from '../../shared/cases';
import type { FailedCheckKind } from '../../shared/console';
import type { Advice } from '../../shared/verification';
import type { Decision, OverrideReason } from '../../shared/desk';
import { OVERRIDE_REASONS } from '../../shared/desk';
import type { AppendInput, CaseStore } from '../caselog/store';

export interface DeskCaseSpec {
  caseId?: string;
  agentId: string;
  serviceType: ServiceType;
  openedAt: number;
  customerRef?: string;
  /** The engine's final advice (none: consult cases, or a call that ended before one). */
  advice?: Advice;
  /** The agent's decision; none closes the case as not_required (consult) or abandoned. */
  decision?: Decision;
  reasonCode?: OverrideReason;
  /** ms from opening to the decision (default 120 s). */
  handleMs?: number;
  escalated?: boolean;
  /** Active challenges started (2 or more is a re-verification). */
  challenges?: number;
  failed?: FailedCheckKind[];
  review?: { outcome: ReviewOutcome; reviewer: string; reviewId: number };
}

const FAILED_CHECK: Record<Exclude<FailedCheckKind, 'spoken_code'>, { id: string; status: 'warn' | 'fail'; reason: string }> = {
  quality: { id: 'quality', status: 'warn', reason: 'too_dark' },
  liveness: { id: 'passive_liveness', status: 'fail', reason: 'spoof_suspected' },
  mismatch: { id: 'face_match', status: 'fail', reason: 'below_review' },
  presence: { id: 'presence', status: 'fail', reason: 'second_face' },
  face_swap: { id: 'face_swap', status: 'fail', reason: 'identity_drift' },
  id_consistency: { id: 'id_consistency', status: 'fail', reason: 'age_gap' },
};

const against = (decision: Decision, advice: Advice) => (decision === 'pass' ? advice !== 'pass' : advice === 'pass');

/** Writes one case; returns its id. */
export function writeDeskCase(store: CaseStore, spec: DeskCaseSpec): string {
  const c = store.openCase({ caseId: spec.caseId, agentId: spec.agentId, serviceType: spec.serviceType, at: spec.openedAt, customerRef: spec.customerRef ?? null });
  const caseId = c.caseId;
  const handle = spec.handleMs ?? 120_000;
  let at = spec.openedAt;
  const step = () => (at = Math.min(at + 1000, spec.openedAt + handle - 1));
  const events: AppendInput[] = [];
  const challenges = spec.challenges ?? 0;
  for (let i = 0; i < challenges; i++) {
    events.push({ caseId, type: 'verification.event', actor: 'system', at: step(), payload: { type: 'challenge.started', at, challengeId: `ch-${i + 1}`, actions: ['blink', 'turn_left'], stepTimeoutMs: 6000, attempt: i + 1 } });
  }
  for (const kind of spec.failed ?? []) {
    if (kind === 'spoken_code') {
      events.push({ caseId, type: 'verification.event', actor: 'system', at: step(), payload: { type: 'spoken_code.confirmed', at, ok: false } });
      continue;
    }
    const check = FAILED_CHECK[kind];
    events.push({ caseId, type: 'check.result', actor: 'system', at: step(), payload: { type: 'check.changed', at, check, previous: { status: 'pending', reason: 'no_frames' } } });
  }
  if (spec.advice) {
    events.push({ caseId, type: 'verification.event', actor: 'system', at: step(), payload: { type: 'advice.changed', at, advice: spec.advice, previous: 'review', reasons: [] } });
  }
  if (events.length) store.appendMany(events);
  const decidedAt = spec.openedAt + handle;
  if (spec.decision && spec.advice) {
    const a = against(spec.decision, spec.advice);
    store.append({ caseId, type: 'decision.made', actor: spec.agentId, at: decidedAt, payload: { decision: spec.decision, advice: spec.advice, against: a, reasonCode: spec.reasonCode ?? null, checklist: [] } });
    const checks = (spec.failed ?? []).filter((k): k is Exclude<FailedCheckKind, 'spoken_code'> => k !== 'spoken_code').map((k) => FAILED_CHECK[k]);
    store.closeCase(caseId, {
      verdict: spec.decision === 'pass' ? 'verified' : 'rejected',
      actor: spec.agentId,
      reasonCode: spec.reasonCode,
      at: decidedAt + 500,
      summary: { advice: spec.advice, decision: spec.decision, against: a, checks },
    });
  } else {
    store.closeCase(caseId, { verdict: spec.serviceType === 'consult' ? 'not_required' : 'abandoned', actor: spec.agentId, at: decidedAt });
  }
  if (spec.escalated) store.append({ caseId, type: 'case.escalated', actor: spec.agentId, at: decidedAt + 1000, payload: { advice: spec.advice ?? 'review' } });
  if (spec.review) store.applyReview({ reviewId: spec.review.reviewId, caseId, outcome: spec.review.outcome, reviewer: spec.review.reviewer, note: '', createdAt: decidedAt + 86_400_000 });
  return caseId;
}

export interface ConsoleSeedOptions {
  count: number;
  agents?: number;
  days?: number;
  seed?: number;
  now?: number;
  onProgress?: (done: number) => void;
}

const pick = <T>(rand: () => number, items: readonly (readonly [T, number])[]): T => {
  const total = items.reduce((s, [, w]) => s + w, 0);
  let r = rand() * total;
  for (const [v, w] of items) if ((r -= w) <= 0) return v;
  return items[items.length - 1]![0];
};

/** Realistic synthetic cases (benchmarks, the end-to-end test, demos): about 4 % overrides, 3 % escalations. */
export function seedConsoleCases(store: CaseStore, options: ConsoleSeedOptions): number {
  const rand = seededRandom(options.seed ?? 7);
  const agents = options.agents ?? 20;
  const days = options.days ?? 90;
  const now = options.now ?? Date.now();
  let reviewId = Number(store.db.prepare('SELECT coalesce(max(review_id), 0) FROM reviews').pluck().get()) + 1_000_000;
  const chunk = 500;
  for (let start = 0; start < options.count; start += chunk) {
    const n = Math.min(chunk, options.count - start);
    store.batch(() => {
      for (let i = 0; i < n; i++) {
        const agentId = `agent-${String(1 + Math.floor(rand() * agents)).padStart(2, '0')}`;
        const serviceType = pick<ServiceType>(rand, [['consult', 2], ['query', 3], ['operate', 3], ['transact', 2]]);
        const openedAt = Math.floor(now - rand() * days * 86_400_000);
        const spec: DeskCaseSpec = { agentId, serviceType, openedAt, customerRef: `C${Math.floor(rand() * 1e8)}`, handleMs: 60_000 + Math.floor(rand() * 540_000) };
        if (serviceType !== 'consult' && rand() > 0.02) {
          const advice = pick<Advice>(rand, [['pass', 80], ['review', 12], ['fail', 8]]);
          const overrides = rand() < 0.04;
          const follows: Decision = advice === 'pass' ? 'pass' : 'fail';
          spec.advice = advice;
          spec.decision = overrides ? (follows === 'pass' ? 'fail' : 'pass') : follows;
          if (overrides) spec.reasonCode = OVERRIDE_REASONS[Math.floor(rand() * OVERRIDE_REASONS.length)]!;
          spec.escalated = advice !== 'pass' && rand() < 0.15;
          spec.challenges = serviceType === 'operate' || serviceType === 'transact' ? (rand() < 0.06 ? 2 : 1) : 0;
          const failed: FailedCheckKind[] = [];
          if (rand() < 0.1) failed.push('quality');
          if (advice !== 'pass') failed.push(pick<FailedCheckKind>(rand, [['liveness', 3], ['mismatch', 3], ['presence', 1], ['face_swap', 1], ['id_consistency', 1], ['spoken_code', 1]]));
          spec.failed = failed;
          if (rand() < 0.1) spec.review = { outcome: pick<ReviewOutcome>(rand, [['confirmed', 8], ['overturned', 1], ['process_not_followed', 1]]), reviewer: 'lead-01', reviewId: reviewId++ };
        }
        writeDeskCase(store, spec);
      }
    });
    options.onProgress?.(start + n);
  }
  return options.count;
}
