import { useTranslation } from 'react-i18next';
import { closedReasonKey } from '../../call/call-phase';
import { endCall, endOrphanCall, resetCall, startCall } from '../../call/call-service';
import { useAppStore } from '../../store/store';
import { CallFaults } from './CallFaults';
import { CallStats } from './CallStats';
import { GuidanceBar } from './GuidanceBar';
import { JoinLinkCard } from './JoinLinkCard';
import { QualityIssues } from './QualityIssues';
import { RecordingIndicator } from './RecordingIndicator';
import { RemoteStage } from './RemoteStage';

const KNOWN_REASONS = new Set(['agent', 'expired', 'lost', 'roomGone', 'refused', 'replaced']);

/** The customer side of the workspace: 开始视频, the live call, and its end. */
export function CallPanel() {
  const { t } = useTranslation();
  const phase = useAppStore((s) => s.call.phase);
  const starting = useAppStore((s) => s.call.starting);
  const ending = useAppStore((s) => s.call.ending);
  const orphan = useAppStore((s) => s.call.orphan);
  const error = useAppStore((s) => s.call.error);
  const endedReason = useAppStore((s) => s.call.endedReason);
  const signaling = useAppStore((s) => s.call.state?.signaling ?? '');
  const gen = useAppStore((s) => s.call.gen);
  const landmarks = useAppStore((s) => s.landmarks);
  const setLandmarks = useAppStore((s) => s.setLandmarks);
  const active = phase !== 'idle' && phase !== 'ended';
  const reasonKey = closedReasonKey(endedReason);

  const startButton = (label: string) => (
    <button
      type="button"
      className="primary"
      data-testid="call-start"
      disabled={starting}
      onClick={() => {
        resetCall();
        void startCall();
      }}
    >
      {starting ? t('call.starting') : label}
    </button>
  );

  return (
    <div className="panel customer call-panel" data-testid="call-panel">
      <header className="call-header">
        <h2>{t('workspace.customerVideo')}</h2>
        <span data-testid="call-state" data-state={phase} data-signaling={signaling} data-gen={gen >= 0 ? gen : ''} className={`pill call-${phase}`}>
          {t(`call.state.${phase}`)}
        </span>
        {active && <CallStats />}
      </header>
      {error && (
        <p className="camera-error" role="alert" data-testid="call-error" data-code={error.code}>
          {t(`errors.${error.code}`, { detail: error.message })}
        </p>
      )}

      {phase === 'idle' && !orphan && (
        <div className="placeholder call-idle">
          <p>{t('workspace.customerWaiting')}</p>
          {startButton(t('call.start'))}
        </div>
      )}
      {phase === 'idle' && orphan && (
        <div className="placeholder call-idle">
          <p>{t('call.orphan')}</p>
          <button type="button" data-testid="call-end" onClick={() => void endOrphanCall()}>
            {t('call.endOrphan')}
          </button>
        </div>
      )}

      {active && (
        <>
          <CallFaults />
          <JoinLinkCard compact={phase === 'connected' || phase === 'reconnecting'} />
          <RemoteStage />
          <QualityIssues />
          <div className="call-controls">
            <label className="toggle">
              <input type="checkbox" data-testid="landmarks-toggle" checked={landmarks} onChange={(e) => setLandmarks(e.target.checked)} />
              {t('call.landmarks')}
            </label>
            <button type="button" className="danger" data-testid="call-end" disabled={ending} onClick={() => void endCall()}>
              {ending ? t('call.ending') : t('call.end')}
            </button>
          </div>
          <GuidanceBar />
          <RecordingIndicator />
        </>
      )}

      {phase === 'ended' && (
        <div className="call-ended" data-testid="call-ended" data-reason={endedReason ?? ''}>
          <h3>{t('call.ended.title')}</h3>
          <p>{KNOWN_REASONS.has(reasonKey) ? t(`call.ended.reasons.${reasonKey}`) : t('call.ended.reasons.other', { reason: t(`errors.${reasonKey}`, { detail: '', defaultValue: reasonKey }) })}</p>
          <RecordingIndicator ended />
          <div className="call-controls">
            <button type="button" data-testid="call-reset" onClick={() => resetCall()}>
              {t('call.ended.back')}
            </button>
            {startButton(t('call.restart'))}
          </div>
        </div>
      )}
    </div>
  );
}
