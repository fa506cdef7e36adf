import { useTranslation } from 'react-i18next';
import { useAppStore } from '../store/store';

export function Notices() {
  const { t } = useTranslation();
  const notices = useAppStore((s) => s.notices);
  const dismiss = useAppStore((s) => s.dismissNotice);
  const lastError = useAppStore((s) => s.lastError);
  const setLastError = useAppStore((s) => s.setLastError);
  const connection = useAppStore((s) => s.connection);
  return (
    <div className="notices" role="status">
      {connection === 'closed' && (
        <div className="notice error" data-testid="disconnected-banner">
          {t('errors.DISCONNECTED')}
        </div>
      )}
      {notices.map((notice, index) => (
        <div key={index} className={`notice ${notice.level}`} data-testid="notice">
          {t(`notices.${notice.key}`, { detail: notice.detail ?? '', defaultValue: t(`errors.${notice.code}`, { detail: notice.detail ?? '' }) })}
          <button type="button" onClick={() => dismiss(index)} aria-label="×">
            ×
          </button>
        </div>
      ))}
      {lastError && (
        <div className="notice error" data-testid="error-banner">
          {t(`errors.${lastError.code}`, { detail: lastError.message })}
          <button type="button" onClick={() => setLastError(null)} aria-label="×">
            ×
          </button>
        </div>
      )}
    </div>
  );
}
