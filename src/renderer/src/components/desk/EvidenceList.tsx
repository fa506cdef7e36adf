import { useTranslation } from 'react-i18next';
import type { Check } from '../../../../shared/verification';
import { formatFrameTime } from '../../desk/format';

/** The frames a check's result rests on (time + kind); the frames themselves are in the case's evidence. */
export function EvidenceList({ check, onClose }: { check: Check; onClose(): void }) {
  const { t } = useTranslation();
  const evidence = check.evidence ?? [];
  return (
    <div className="evidence-popover" role="dialog" aria-label={t('desk.checks.evidence')} data-testid={`check-evidence-${check.id}`}>
      <div className="evidence-head">
        <strong>{t('desk.checks.evidence')}</strong>
        <button type="button" className="link" onClick={onClose}>
          {t('desk.checks.close')}
        </button>
      </div>
      {evidence.length === 0 ? (
        <p className="muted">{t('desk.checks.noEvidence')}</p>
      ) : (
        <ol className="evidence-list">
          {evidence.map((e, i) => (
            <li key={`${e.streamId}:${e.capturedAt}:${i}`} data-captured-at={e.capturedAt} data-kind={e.kind}>
              <time>{formatFrameTime(e.capturedAt)}</time> {t(`desk.evidenceKinds.${e.kind}`, { defaultValue: e.kind })}
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
