/** Sample desk states for the unit tests (not used by the app). */
import type { DeskState } from '../../../shared/desk';
import type { ChallengeReport, Check, VerificationReport } from '../../../shared/verification';
import type { Script } from '../../../shared/scripts';

export const T0 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

export const sampleChecks = (): Check[] => [
  {
    id: 'face_match',
    status: 'warn',
    reason: 'review_band',
    score: 0.4312,
    band: 'review',
    evidence: [
      { streamId: 's1', capturedAt: T0 + 1_200, kind: 'key_frame' },
      { streamId: 's1', capturedAt: T0 + 2_400, kind: 'key_frame' },
    ],
  },
  { id: 'passive_liveness', status: 'pass', reason: 'live', score: 0.97 },
  { id: 'active_liveness', status: 'not_run', reason: 'not_started' },
  { id: 'face_swap', status: 'pending', reason: 'no_key_frames' },
  { id: 'presence', status: 'warn', reason: 'second_face', evidence: [{ streamId: 's1', capturedAt: T0 + 3_000, kind: 'second_face' }] },
  { id: 'id_consistency', status: 'not_run', reason: 'no_id_number' },
  { id: 'quality', status: 'warn', reason: 'too_dark', evidence: [{ streamId: 's1', capturedAt: T0 + 3_500, kind: 'quality' }] },
];

export function sampleReport(patch: Partial<VerificationReport> = {}): VerificationReport {
  return {
    version: 1,
    serviceType: 'operate',
    advice: 'review',
    adviceReasons: [
      { check: 'face_match', status: 'warn', reason: 'review_band', required: true },
      { check: 'presence', status: 'warn', reason: 'second_face', required: true },
      { check: 'spoken_code', status: 'not_run', reason: 'not_issued', required: true },
    ],
    required: ['face_match', 'passive_liveness', 'active_liveness', 'face_swap', 'presence', 'id_consistency', 'spoken_code'],
    state: 'observing',
    checks: sampleChecks(),
    spokenCode: { status: 'not_run', reason: 'not_issued' },
    modelVersions: {},
    thresholds: { faceMatch: { match: 0.5, mismatch: 0.3, modelSha256: 'x', source: 'test' }, config: {} },
    frames: { analysed: 10, withFace: 10, keyFrames: 2, firstFaceAt: T0, verdictAt: null },
    ...patch,
  };
}

export function runningChallenge(current: number | null, challengeId = 'c1', patch: Partial<ChallengeReport> = {}): ChallengeReport {
  const actions = ['blink', 'turn_left', 'nod'] as const;
  return {
    challengeId,
    status: current === null ? 'passed' : 'running',
    current,
    startedAt: T0,
    attempt: 1,
    steps: actions.map((action, i) => ({
      action,
      instructionKey: action,
      status: current === null || i < current ? 'passed' : i === current ? 'running' : 'waiting',
      ...(current !== null && i === current ? { startedAt: T0 + i * 6_000, deadline: T0 + i * 6_000 + 6_000 } : {}),
    })),
    ...patch,
  };
}

export function sampleDesk(patch: Partial<DeskState> = {}, report: Partial<VerificationReport> = {}): DeskState {
  return {
    callId: 'call-1',
    caseId: 'case-1',
    serviceType: 'operate',
    report: sampleReport(report),
    idPhoto: null,
    idInfo: null,
    spokenCode: null,
    decision: null,
    escalated: false,
    suggestedStep: null,
    checklist: { ticked: [], missing: ['consent_recorded', 'id_shown'] },
    closed: false,
    ...patch,
  };
}

const text = (zh: string, en: string) => ({ zh, en });
const step = (id: string, kind: 'main' | 'prompt' = 'main') => ({
  id,
  title: text(`步骤 ${id}`, `Step ${id}`),
  kind,
  lines: { zh: [`第一句 ${id}`], en: [`First line ${id}`] },
  triggers: [],
  requiredChecks: [],
  branches: [],
});

export const sampleScript = (): Script => ({
  file: 'operate.yaml',
  version: 1,
  commonVersion: 1,
  serviceType: 'operate',
  title: text('操作类业务', 'Account operation'),
  requiredChecks: ['face_match'],
  steps: [step('greeting'), step('consent'), step('guide_light', 'prompt'), step('face_check'), step('complaint', 'prompt'), step('closing')],
  checklist: [
    { id: 'consent_recorded', label: text('已确认录像授权', 'Recording consent confirmed'), checks: [], always: false },
    { id: 'id_shown', label: text('客户已出示证件', 'ID shown'), checks: [], always: false },
  ],
});
