import { useTranslation } from 'react-i18next';
import type { Check } from '../../../../shared/verification';
import { formatScore, reasonKey } from '../../desk/format';
import { EvidenceList } from './EvidenceList';

interface CheckRowProps {
  check: Check;
  required: boolean;
  open: boolean;
  onToggle(): void;
}

/**
 * One check: its status pill, its reason in plain words, the score and band (for the agent only), its evidence on
 * click. The whole summary is the button, so a click anywhere on the row opens the evidence.
 */
export function CheckRow({ check, required, open, onToggle }: CheckRowProps) {
  const { t } = useTranslation();
  return (
    <li
      className={`check check-${check.status}${open ? ' open' : ''}`}
      data-testid={`check-${check.id}`}
      data-status={check.status}
      data-reason={check.reason}
      data-required={required ? 'true' : 'false'}
    >
      <button type="button" className="check-summary" aria-expanded={open} onClick={onToggle}>
        <span className="check-head">
          <span className="check-name">
            {t(`desk.checks.names.${check.id}`)}
            {required && <span className="required-mark">{t('desk.checks.required')}</span>}
          </span>
          <span className={`pill status-${check.status}`}>{t(`desk.checks.statuses.${check.status}`)}</span>
        </span>
        <span className="check-reason">{t(reasonKey(check.id, check.reason), { defaultValue: check.reason })}</span>
        {(check.score !== undefined || check.band) && (
          <span className="check-score muted" data-testid={`check-score-${check.id}`}>
            {check.score !== undefined && t(`desk.checks.scores.${check.id}`, { value: formatScore(check.id, check.score) })}
            {check.score !== undefined && check.band && ' · '}
            {check.band && t(`desk.checks.bands.${check.band}`)}
          </span>
        )}
      </button>
      {open && <EvidenceList check={check} onClose={onToggle} />}
    </li>
  );
}
