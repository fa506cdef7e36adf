import { useTranslation } from 'react-i18next';
import { useAppStore } from '../../store/store';

const attr = (value: number | null | undefined) => (value === null || value === undefined ? '' : String(value));
const shown = (value: number | null | undefined, unit: string) => (value === null || value === undefined ? '—' : `${value}${unit}`);

/** Connection quality of the current peer, sampled every second. */
export function CallStats() {
  const { t } = useTranslation();
  const stats = useAppStore((s) => s.call.stats);
  const path = stats?.path ?? 'unknown';
  return (
    <div
      className="call-stats"
      data-testid="call-stats"
      data-path={path}
      data-fps={attr(stats?.fps)}
      data-kbps={attr(stats?.kbps)}
      data-loss={attr(stats?.lossPct)}
      data-rtt={attr(stats?.rttMs)}
      title={stats ? `${stats.localCandidateType ?? '?'} ⇄ ${stats.remoteCandidateType ?? '?'}` : undefined}
      aria-label={t('call.stats.title')}
    >
      <span className={`pill path-${path}`}>{t(`call.stats.path.${path}`)}</span>
      <span>
        {t('call.stats.bitrate')} {shown(stats?.kbps, ' kbit/s')}
      </span>
      <span>
        {t('call.stats.fps')} {shown(stats?.fps, ' fps')}
      </span>
      <span>
        {t('call.stats.loss')} {shown(stats?.lossPct, '%')}
      </span>
      <span>
        {t('call.stats.rtt')} {shown(stats?.rttMs, ' ms')}
      </span>
    </div>
  );
}
