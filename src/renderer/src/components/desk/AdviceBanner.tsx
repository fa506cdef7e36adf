import { useTranslation } from 'react-i18next';
import type { VerificationReport } from '../../../../shared/verification';
import { reasonKey } from '../../desk/format';

/** 建议通过 / 建议复核 / 建议不通过 and the checks that made it so. The engine advises; the agent decides. */
export function AdviceBanner({ report }: { report: VerificationReport }) {
  const { t } = useTranslation();
  return (
    <div className={`advice advice-${report.advice}`} data-testid="advice" data-advice={report.advice} role="status">
      <div className="advice-head">
        <strong>{t(`desk.advice.${report.advice}`)}</strong>
        <span className="muted">{t('desk.advice.hint')}</span>
      </div>
      {report.adviceReasons.length === 0 ? (
        <p className="muted">{t('desk.advice.none')}</p>
      ) : (
        <ul className="advice-reasons">
          {report.adviceReasons.map((r) => (
            <li key={r.check} data-check={r.check} data-status={r.status} data-reason={r.reason}>
              <span className={`dot status-${r.status}`} aria-hidden="true" />
              {t(`desk.checks.names.${r.check}`)}：{t(reasonKey(r.check, r.reason), { defaultValue: r.reason })}
              {r.required && <span className="required-mark">{t('desk.advice.required')}</span>}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
