import { useTranslation } from 'react-i18next';
import type { ConsoleAccess } from '../../../../shared/console';
import { useAppStore } from '../../store/store';

/** The 403 page: why the console is closed and what to do about it (enter a lead token for this backend). */
export function ConsoleForbidden({ access, onRetry }: { access: ConsoleAccess; onRetry(): void }) {
  const { t } = useTranslation();
  const setPage = useAppStore((s) => s.setPage);
  const reason = access.reason ?? 'refused';
  return (
    <section className="page console-forbidden" data-testid="console-forbidden" data-reason={reason}>
      <h1>{t('console.forbidden.title')}</h1>
      <p data-testid="console-forbidden-text">
        {t(`console.forbidden.${reason}`, {
          origin: access.origin,
          role: access.role ? t(`console.forbidden.roles.${access.role}`) : '',
          name: access.name ?? '',
          detail: access.detail ?? '',
        })}
      </p>
      <div className="console-forbidden-actions">
        <button type="button" onClick={onRetry}>
          {t('console.forbidden.retry')}
        </button>
        <button type="button" className="primary" onClick={() => setPage('settings')}>
          {t('console.forbidden.settings')}
        </button>
      </div>
    </section>
  );
}
