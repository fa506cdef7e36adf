import { useTranslation } from 'react-i18next';
import type { RecordingTrack } from '../../../../shared/call';
import { useAppStore, type RecordingSegmentView } from '../../store/store';

type TrackState = 'idle' | RecordingSegmentView['state'];

/** A track's state is its latest segment's (a new peer generation starts a new customer segment). */
const trackState = (segments: RecordingSegmentView[], track: RecordingTrack): TrackState => segments.filter((s) => s.track === track).at(-1)?.state ?? 'idle';
const trackChunks = (segments: RecordingSegmentView[], track: RecordingTrack) => segments.filter((s) => s.track === track).reduce((sum, s) => sum + s.chunks, 0);

function overall(customer: TrackState, agent: TrackState): TrackState {
  if (customer === 'failed' || agent === 'failed') return 'failed';
  if (customer === 'recording' || agent === 'recording') return 'recording';
  if (customer === 'stopped' || agent === 'stopped') return 'stopped';
  return 'idle';
}

/** 双轨录制 state: ● 录制中 and the chunks main has written per track, or why nothing is recorded. */
export function RecordingIndicator({ ended = false }: { ended?: boolean }) {
  const { t } = useTranslation();
  const segments = useAppStore((s) => s.call.recordings);
  const consent = useAppStore((s) => s.call.state?.consent.recording ?? null);
  const error = useAppStore((s) => s.call.recordingError);
  const customer = trackState(segments, 'customer');
  const agent = trackState(segments, 'agent');
  const state = overall(customer, agent);
  const customerChunks = trackChunks(segments, 'customer');
  const agentChunks = trackChunks(segments, 'agent');
  const note = ended ? null : consent === false ? t('call.recording.declined') : consent === null ? t('call.recording.waitingConsent') : state === 'idle' ? t('call.recording.waitingMedia') : null;
  const reason = error ? t(`errors.${error.code}`, { detail: '', defaultValue: t(`call.recording.errors.${error.code}`, { defaultValue: error.code }) }) : '';

  return (
    <section className="recording">
      <div
        data-testid="recording-state"
        data-state={state}
        data-customer-state={customer}
        data-agent-state={agent}
        data-customer-chunks={customerChunks}
        data-agent-chunks={agentChunks}
        className={`recording-state recording-${state}`}
      >
        <strong>{t(`call.recording.${state}`)}</strong>
        {state !== 'idle' && <span className="muted"> {t('call.recording.chunks', { customer: customerChunks, agent: agentChunks })}</span>}
        {note && <span className="muted"> {note}</span>}
      </div>
      {error && (
        <p className="camera-error" role="alert" data-testid="recording-error" data-code={error.code} data-track={error.track}>
          {t('call.recording.trackFailed', { track: t(`call.recording.track.${error.track}`), reason })}
        </p>
      )}
    </section>
  );
}
