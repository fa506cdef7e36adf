import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { EvidenceRef, Check } from '../../../../shared/verification';
import { formatFrameTime } from '../../desk/format';
import { useAppStore } from '../../store/store';
import { useApi } from '../../transport/api-context';

/**
 * The frames a check's result rests on (time + kind). A click shows the frame itself when main kept it as evidence:
 * decrypted in main and sent for the screen only, never stored here.
 */
export function EvidenceList({ check, onClose }: { check: Check; onClose(): void }) {
  const { t } = useTranslation();
  const api = useApi();
  const callId = useAppStore((s) => s.desk?.callId ?? null);
  const [shown, setShown] = useState<{ key: string; src: string | null; error: string | null } | null>(null);
  const evidence = check.evidence ?? [];

  const show = async (e: EvidenceRef) => {
    if (!callId) return;
    const key = `${e.streamId}@${e.capturedAt}`;
    setShown({ key, src: null, error: null });
    const result = await api.invoke('desk.evidence', { callId, streamId: e.streamId, capturedAt: e.capturedAt });
    setShown(result.ok ? { key, src: `data:${result.value.mime};base64,${result.value.data}`, error: null } : { key, src: null, error: t('desk.checks.evidenceMissing') });
  };

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
              <button type="button" className="link" data-testid="evidence-show" onClick={() => void show(e)}>
                <time>{formatFrameTime(e.capturedAt)}</time> {t(`desk.evidenceKinds.${e.kind}`, { defaultValue: e.kind })}
              </button>
            </li>
          ))}
        </ol>
      )}
      {shown?.src && <img className="evidence-frame" data-testid="evidence-image" src={shown.src} alt={t('desk.checks.evidence')} />}
      {shown?.error && <p className="muted" data-testid="evidence-missing">{shown.error}</p>}
    </div>
  );
}
