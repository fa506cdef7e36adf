import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { SERVICE_TYPES } from '../../../../shared/cases';
import { DECISION_FILTERS, FAILED_CHECK_KINDS, REVIEW_STATUSES, type ConsoleFilter } from '../../../../shared/console';
import { ADVICES } from '../../../../shared/verification';
import { dayStart } from './format';

interface Draft {
  caseId: string;
  agentId: string;
  customerRef: string;
  from: string;
  to: string;
  serviceType: string;
  advice: string;
  decision: string;
  disagreement: string;
  escalated: string;
  review: string;
  failedCheck: string;
  reverified: string;
}

const EMPTY: Draft = { caseId: '', agentId: '', customerRef: '', from: '', to: '', serviceType: '', advice: '', decision: '', disagreement: '', escalated: '', review: '', failedCheck: '', reverified: '' };
const yesNo = (v: string): boolean | undefined => (v === 'yes' ? true : v === 'no' ? false : undefined);

/** The form's text as the contract's filter (main validates it again). */
function toFilter(d: Draft): ConsoleFilter {
  const f: Record<string, unknown> = {
    caseId: d.caseId.trim() || undefined,
    agentId: d.agentId.trim() || undefined,
    customerRef: d.customerRef.trim() || undefined,
    from: d.from ? dayStart(d.from) : undefined,
    // the end date is inclusive on screen: up to the start of the next day
    to: d.to ? dayStart(d.to, 1) : undefined,
    serviceType: d.serviceType || undefined,
    advice: d.advice || undefined,
    decision: d.decision || undefined,
    disagreement: yesNo(d.disagreement),
    escalated: yesNo(d.escalated),
    review: d.review || undefined,
    failedCheck: d.failedCheck || undefined,
    reverified: yesNo(d.reverified),
  };
  for (const k of Object.keys(f)) if (f[k] === undefined) delete f[k];
  return f as ConsoleFilter;
}

export function ConsoleFilters({ onApply }: { onApply: (filter: ConsoleFilter) => void }) {
  const { t } = useTranslation();
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const set = (key: keyof Draft) => (e: { target: { value: string } }) => setDraft((d) => ({ ...d, [key]: e.target.value }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onApply(toFilter(draft));
  };
  const select = (key: keyof Draft, options: readonly string[], label: (v: string) => string) => (
    <label>
      {t(`console.filters.${key}`)}
      <select data-testid={`console-filter-${key}`} value={draft[key]} onChange={set(key)}>
        <option value="">{t('console.filters.any')}</option>
        {options.map((o) => (
          <option key={o} value={o}>
            {label(o)}
          </option>
        ))}
      </select>
    </label>
  );
  const yesNoSelect = (key: keyof Draft) => select(key, ['yes', 'no'], (v) => t(`console.filters.${v}`));
  return (
    <form className="console-filters panel" onSubmit={submit} data-testid="console-filters">
      <label>
        {t('console.filters.caseId')}
        <input data-testid="console-filter-caseId" value={draft.caseId} onChange={set('caseId')} />
      </label>
      <label>
        {t('console.filters.agentId')}
        <input data-testid="console-filter-agentId" value={draft.agentId} onChange={set('agentId')} />
      </label>
      <label title={t('console.filters.customerRefHint')}>
        {t('console.filters.customerRef')}
        <input data-testid="console-filter-customerRef" value={draft.customerRef} onChange={set('customerRef')} autoComplete="off" />
      </label>
      <label>
        {t('console.filters.from')}
        <input type="date" data-testid="console-filter-from" value={draft.from} onChange={set('from')} />
      </label>
      <label>
        {t('console.filters.to')}
        <input type="date" data-testid="console-filter-to" value={draft.to} onChange={set('to')} />
      </label>
      {select('serviceType', SERVICE_TYPES, (v) => t(`cases.service.${v}`))}
      {select('advice', ADVICES, (v) => t(`console.advice.${v}`))}
      {select('decision', DECISION_FILTERS, (v) => t(`console.decision.${v}`))}
      {yesNoSelect('disagreement')}
      {yesNoSelect('escalated')}
      {yesNoSelect('reverified')}
      {select('review', REVIEW_STATUSES, (v) => t(`console.review.${v}`))}
      {select('failedCheck', FAILED_CHECK_KINDS, (v) => t(`console.failed.${v}`))}
      <div className="console-filter-actions">
        <button type="submit" className="primary" data-testid="console-filter-apply">
          {t('console.filters.apply')}
        </button>
        <button
          type="button"
          onClick={() => {
            setDraft(EMPTY);
            onApply({});
          }}
        >
          {t('console.filters.reset')}
        </button>
      </div>
    </form>
  );
}
