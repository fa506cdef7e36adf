import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { VERDICTS, type CaseSummary, type Verdict } from '../../../shared/cases';
import { useAppStore } from '../store/store';
import { useApi } from '../transport/api-context';

const PAGE_SIZE = 100;

export function CaseLogPage() {
  const { t, i18n } = useTranslation();
  const api = useApi();
  const setLastError = useAppStore((s) => s.setLastError);
  const openCase = useAppStore((s) => s.openCase);
  const [agentId, setAgentId] = useState('');
  const [verdict, setVerdict] = useState<Verdict | ''>('');
  const [cases, setCases] = useState<CaseSummary[] | null>(null);
  const [reload, setReload] = useState(0);

  useEffect(() => {
    let cancelled = false;
    void api.invoke('cases.list', { limit: PAGE_SIZE, ...(agentId.trim() && { agentId: agentId.trim() }), ...(verdict && { verdict }) }).then((result) => {
      if (cancelled) return;
      if (result.ok) setCases(result.value);
      else setLastError(result.error);
    });
    return () => {
      cancelled = true;
    };
  }, [api, agentId, verdict, reload, setLastError]);

  const time = new Intl.DateTimeFormat(i18n.language, { dateStyle: 'short', timeStyle: 'short' });
  return (
    <section className="page" data-testid="page-cases">
      <h1>{t('cases.title')}</h1>
      <div className="filters">
        <input data-testid="cases-agent" placeholder={t('cases.agent')} value={agentId} onChange={(e) => setAgentId(e.target.value)} />
        <select data-testid="cases-verdict" value={verdict} onChange={(e) => setVerdict(e.target.value as Verdict | '')}>
          <option value="">{t('cases.anyVerdict')}</option>
          {VERDICTS.map((v) => (
            <option key={v} value={v}>
              {t(`cases.verdict.${v}`)}
            </option>
          ))}
        </select>
        <button type="button" onClick={() => setReload((n) => n + 1)}>
          {t('cases.refresh')}
        </button>
      </div>
      {cases && cases.length === 0 && <p className="muted">{t('cases.empty')}</p>}
      {cases && cases.length > 0 && (
        <table className="panel" data-testid="cases-table">
          <thead>
            <tr>
              {(['opened', 'case', 'agent', 'service', 'customer', 'verdict', 'decision', 'review', 'events'] as const).map((column) => (
                <th key={column}>{t(`cases.columns.${column}`)}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {cases.map((c) => (
              // a row opens the case's page (detail and replay); the case id is the keyboard's way in
              <tr key={c.caseId} data-testid="case-row" data-case-id={c.caseId} className="case-row" onClick={() => openCase(c.caseId)}>
                <td>{time.format(c.openedAt)}</td>
                <td>
                  <button
                    type="button"
                    className="link"
                    data-testid="case-open"
                    aria-label={t('case.open', { caseId: c.caseId })}
                    onClick={(e) => {
                      e.stopPropagation();
                      openCase(c.caseId);
                    }}
                  >
                    {c.caseId}
                  </button>
                </td>
                <td>{c.agentId}</td>
                <td>{t(`cases.service.${c.serviceType}`)}</td>
                <td>{c.idNumberMasked ?? '—'}</td>
                <td className={`verdict-${c.verdict ?? 'none'}`}>{t(`cases.verdict.${c.verdict ?? 'none'}`)}</td>
                <td data-testid="case-decision" data-against={c.closeSummary?.against ? 'true' : 'false'}>
                  {c.closeSummary
                    ? `${t(`desk.advice.${c.closeSummary.advice}`, { defaultValue: c.closeSummary.advice })} → ${t(`cases.decision.${c.closeSummary.decision}`, { defaultValue: c.closeSummary.decision })}${
                        c.closeSummary.against ? ` · ${t('cases.decision.against')}${c.closeSummary.reasonCode ? `：${t(`desk.overrideReasons.${c.closeSummary.reasonCode}`, { defaultValue: c.closeSummary.reasonCode })}` : ''}` : ''
                      }`
                    : '—'}
                </td>
                <td>{t(`cases.review.${c.reviewOutcome ?? 'none'}`)}</td>
                <td>{c.eventCount}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
