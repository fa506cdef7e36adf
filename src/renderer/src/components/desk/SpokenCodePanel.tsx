import { useTranslation } from 'react-i18next';
import type { AppError } from '../../../../shared/errors';
import type { SpokenCodeReport } from '../../../../shared/verification';
import { reasonKey } from '../../desk/format';
import { DeskError } from './DeskError';

interface SpokenCodePanelProps {
  /** The digits while they are on the customer's page. */
  digits: string | null;
  report: SpokenCodeReport;
  canIssue: boolean;
  canConfirm: boolean;
  pending: boolean;
  error: AppError | undefined;
  onIssue(): void;
  onConfirm(ok: boolean): void;
}

/** 出示口令, the digits for the agent to compare with what the customer reads aloud, and 读对了 / 读错了. */
export function SpokenCodePanel({ digits, report, canIssue, canConfirm, pending, error, onIssue, onConfirm }: SpokenCodePanelProps) {
  const { t } = useTranslation();
  return (
    <section className="desk-code" aria-label={t('desk.code.title')}>
      <h3>
        {t('desk.code.title')}
        <span className={`pill status-${report.status}`} data-testid="code-status" data-status={report.status} data-reason={report.reason}>
          {t(`desk.checks.statuses.${report.status}`)}
        </span>
      </h3>
      <p className="muted">{t(reasonKey('spoken_code', report.reason), { defaultValue: report.reason })}</p>
      <button type="button" data-testid="code-issue" disabled={!canIssue || pending} onClick={onIssue}>
        {report.code ? t('desk.code.reissue') : t('desk.code.issue')}
      </button>
      {digits && (
        <>
          <p className="muted">{t('desk.code.hint')}</p>
          <div className="code-digits" data-testid="code-digits" data-digits={digits}>
            {digits}
          </div>
        </>
      )}
      <div className="code-confirm">
        <button type="button" className="ok-button" data-testid="code-ok" disabled={!canConfirm || pending} onClick={() => onConfirm(true)}>
          {t('desk.code.ok')}
        </button>
        <button type="button" className="danger" data-testid="code-wrong" disabled={!canConfirm || pending} onClick={() => onConfirm(false)}>
          {t('desk.code.wrong')}
        </button>
      </div>
      {error && <DeskError error={error} testId="code-error" />}
    </section>
  );
}
