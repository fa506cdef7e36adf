import { useTranslation } from 'react-i18next';
import { useAppStore } from '../../store/store';

/** What went wrong on either side's media while the call goes on. */
export function CallFaults() {
  const { t } = useTranslation();
  const faults = useAppStore((s) => s.call.faults);
  const phase = useAppStore((s) => s.call.phase);
  return (
    <div className="call-faults" role="alert">
      {phase === 'reconnecting' && (
        <p className="call-hint" data-testid="call-reconnecting">
          {t('call.reconnectingHint')}
        </p>
      )}
      {faults.agentCameraLost && (
        <p className="camera-error" data-testid="fault-agent-camera">
          {t('call.faults.agentCameraLost')}
        </p>
      )}
      {faults.customerVideoLost && phase === 'connected' && (
        <p className="camera-error" data-testid="fault-customer-video">
          {t('call.faults.customerVideoLost')}
        </p>
      )}
      {faults.micError && (
        <p className="camera-error" data-testid="fault-mic" data-code={faults.micError}>
          {t(`call.faults.mic.${faults.micError}`, { defaultValue: t('call.faults.mic.unknown') })}
        </p>
      )}
    </div>
  );
}
