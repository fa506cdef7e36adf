import { useState } from 'react';
import type { Decision, DeskState } from '../../../../shared/desk';
import { deskAvailability } from '../../desk/desk-availability';
import { moveScriptStep } from '../../desk/desk-service';
import { localText } from '../../desk/local-text';
import { scriptFor } from '../../desk/script-nav';
import type { ShortcutAction } from '../../desk/shortcuts';
import { useAppStore } from '../../store/store';
import { useTranslation } from 'react-i18next';
import { AdviceBanner } from './AdviceBanner';
import { pushGuidance } from '../../call/call-service';
import { ChallengePanel } from './ChallengePanel';
import { ChecksPanel } from './ChecksPanel';
import { DecisionBar } from './DecisionBar';
import { GuidanceSuggestion } from './GuidanceSuggestion';
import { ShortcutLegend } from './ShortcutLegend';
import { SpokenCodePanel } from './SpokenCodePanel';
import { useDeskActions } from './use-desk-actions';
import { useDeskShortcuts } from './use-desk-shortcuts';

/**
 * The verification side of the session view: advice and checks, the active challenge and the spoken code, the
 * guidance suggestion, the decision, and the keyboard shortcuts for all of them. Mounted per call (key = callId).
 */
export function DeskPanel({ desk }: { desk: DeskState }) {
  const { t, i18n } = useTranslation();
  const connected = useAppStore((s) => s.call.phase === 'connected');
  const scripts = useAppStore((s) => s.scripts);
  const actions = useDeskActions();
  const [choice, setChoice] = useState<Decision | null>(null);
  const can = deskAvailability(desk, connected, choice);
  const { callId, report } = desk;

  const script = scriptFor(scripts?.scripts, desk.serviceType);
  const missing = desk.checklist.missing.map((id) => {
    const item = script?.checklist.find((c) => c.id === id);
    return item ? localText(item.label, i18n.language) : id;
  });

  // each guard repeats the button's disabled state, so a shortcut never does what its button would not
  const startChallenge = () => {
    if (can.startChallenge && !actions.pending.challenge) void actions.run('challenge', 'desk.startChallenge', { callId });
  };
  // the hand-over-face test: main times it, the customer's page asks for the gesture
  const startOcclusion = () => {
    if (can.startChallenge && !actions.pending.occlusion) {
      pushGuidance('cover_face_briefly');
      void actions.run('occlusion', 'desk.startOcclusionTest', { callId });
    }
  };
  const issueCode = () => {
    if (can.issueCode && !actions.pending.code) void actions.run('code', 'desk.issueSpokenCode', { callId });
  };
  const confirmCode = (ok: boolean) => {
    if (can.confirmCode && !actions.pending.code) void actions.run('code', 'desk.confirmSpokenCode', { callId, ok });
  };
  const escalate = () => {
    if (can.escalate && !actions.pending.escalate) void actions.run('escalate', 'desk.escalate', { callId });
  };
  const choose = (next: Decision) => {
    if (can.decide) setChoice(next);
  };

  const shortcuts: Record<ShortcutAction, () => void> = {
    startChallenge,
    issueCode,
    codeOk: () => confirmCode(true),
    codeWrong: () => confirmCode(false),
    nextStep: () => moveScriptStep(1),
    previousStep: () => moveScriptStep(-1),
    pass: () => choose('pass'),
    fail: () => choose('fail'),
    escalate,
  };
  useDeskShortcuts(shortcuts);

  return (
    <div className="panel desk" data-testid="desk" data-call-id={callId} data-state={report.state} data-closed={desk.closed ? 'true' : 'false'}>
      <header className="desk-header">
        <h2>{t('desk.title')}</h2>
        <ShortcutLegend />
      </header>
      <AdviceBanner report={report} />
      <ChecksPanel report={report} />
      <ChallengePanel challenge={report.challenge} canStart={can.startChallenge} pending={actions.pending.challenge ?? false} error={actions.errors.challenge} onStart={startChallenge} />
      <button type="button" data-testid="occlusion-start" disabled={!can.startChallenge || (actions.pending.occlusion ?? false)} onClick={startOcclusion}>
        {t('desk.occlusion.start')}
      </button>
      <SpokenCodePanel
        digits={desk.spokenCode}
        report={report.spokenCode}
        canIssue={can.issueCode}
        canConfirm={can.confirmCode}
        pending={actions.pending.code ?? false}
        error={actions.errors.code}
        onIssue={issueCode}
        onConfirm={confirmCode}
      />
      <GuidanceSuggestion quality={report.checks.find((c) => c.id === 'quality')} connected={connected} />
      <DecisionBar
        desk={desk}
        choice={choice}
        onChoose={setChoice}
        onDecide={(params) => void actions.run('decision', 'desk.decide', { callId, ...params })}
        onEscalate={escalate}
        canDecide={can.decide}
        canEscalate={can.escalate}
        pending={actions.pending}
        errors={actions.errors}
        missing={missing}
      />
    </div>
  );
}
