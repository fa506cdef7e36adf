import { useTranslation } from 'react-i18next';
import { useAppStore } from '../../store/store';

const consentValue = (value: boolean | null | undefined) => (value === true ? 'granted' : value === false ? 'declined' : 'pending');

/** Who is on the other side: presence, consents, the camera they use (virtual-camera risk), signaling. */
export function CustomerInfoPanel() {
  const { t } = useTranslation();
  const phase = useAppStore((s) => s.call.phase);
  const state = useAppStore((s) => s.call.state);
  const device = useAppStore((s) => s.call.device);
  const media = useAppStore((s) => s.call.customerMedia);
  if (phase === 'idle' && !state) return null;

  const cameraConsent = consentValue(state?.consent.camera);
  const recordingConsent = consentValue(state?.consent.recording);
  const signaling = state?.signaling ?? 'connecting';
  const mediaFlowing = phase === 'connected';
  return (
    <div className="panel customer-info" data-testid="customer-info">
      <h2>{t('call.customer.title')}</h2>
      <dl>
        <dt>{t('call.customer.presence')}</dt>
        <dd data-testid="customer-presence" data-present={state?.customerPresent ? 'true' : 'false'}>
          {state?.customerPresent ? t('call.customer.present') : t('call.customer.absent')}
        </dd>
        <dt>{t('call.customer.consentCamera')}</dt>
        <dd data-testid="consent-camera" data-value={cameraConsent} className={`consent-${cameraConsent}`}>
          {t(`call.customer.consent.${cameraConsent}`)}
        </dd>
        <dt>{t('call.customer.consentRecording')}</dt>
        <dd data-testid="consent-recording" data-value={recordingConsent} className={`consent-${recordingConsent}`}>
          {t(`call.customer.consent.${recordingConsent}`)}
        </dd>
        <dt>{t('call.customer.camera')}</dt>
        <dd data-testid="customer-device" data-virtual={device?.virtualCamera ? 'true' : 'false'} data-label={device?.videoLabel ?? ''} data-reported={device ? 'true' : 'false'}>
          {device ? device.videoLabel || t('call.customer.noLabel') : <span className="muted">{t('call.customer.notReported')}</span>}
          {device?.virtualCamera && (
            <span className="risk-badge" data-testid="virtual-camera-risk" title={t('call.customer.virtualRiskDetail', { marker: device.virtualCamera })}>
              {t('call.customer.virtualRisk')}
            </span>
          )}
        </dd>
        {device && (
          <>
            <dt>{t('call.customer.microphone')}</dt>
            <dd>{device.audioLabel || t('call.customer.noLabel')}</dd>
          </>
        )}
        <dt>{t('call.signaling.label')}</dt>
        <dd data-testid="call-signaling" data-state={signaling}>
          {t(`call.signaling.${signaling}`)}
        </dd>
      </dl>
      {device?.virtualCamera && (
        <p className="camera-error" role="alert">
          {t('call.customer.virtualRiskDetail', { marker: device.virtualCamera })}
        </p>
      )}
      {media && media !== 'live' && (
        <p className="camera-error" data-testid="customer-media" data-state={media}>
          {t(`call.customer.media.${media}`)}
        </p>
      )}
      {signaling === 'reconnecting' && (
        <p className="muted" data-testid="signaling-note">
          {mediaFlowing ? t('call.signaling.reconnectingMediaOk') : t('call.signaling.reconnectingNoMedia')}
        </p>
      )}
    </div>
  );
}
