import { useTranslation } from 'react-i18next';
import type { CaseEvent, CaseSummary } from '../../../../shared/cases';

interface Decision {
  advice: string;
  decision: string;
  against: boolean;
  reasonCode: string | null;
}

/** The desk's decision at close, else the last decision.made event (an older log has no close summary). */
function decisionOf(summary: CaseSummary, events: readonly CaseEvent[]): Decision | null {
  if (summary.closeSummary) return summary.closeSummary;
  const made = [...events].reverse().find((e) => e.type === 'decision.made');
  if (!made) return null;
  const p = made.payload;
  return { advice: String(p.advice ?? ''), decision: String(p.decision ?? ''), against: p.against === true, reasonCode: typeof p.reasonCode === 'string' ? p.reasonCode : null };
}

export function CaseSummaryPanel({ summary, events }: { summary: CaseSummary; events: readonly CaseEvent[] }) {
  const { t, i18n } = useTranslation();
  const time = new Intl.DateTimeFormat(i18n.language, { dateStyle: 'medium', timeStyle: 'medium' });
  const decision = decisionOf(summary, events);
  const none = t('case.summary.none');
  const rows: [string, string, string?][] = [
    [t('case.summary.case'), summary.caseId],
    [t('case.summary.agent'), summary.agentId],
    [t('case.summary.service'), t(`cases.service.${summary.serviceType}`)],
    [t('case.summary.customer'), summary.customerRef ?? none],
    [t('case.summary.idNumber'), summary.idNumberMasked ?? none],
    [t('case.summary.opened'), time.format(summary.openedAt)],
    [t('case.summary.closed'), summary.closedAt ? time.format(summary.closedAt) : none],
    [t('case.summary.status'), t(`case.summary.statuses.${summary.status}`)],
    [t('case.summary.verdict'), t(`cases.verdict.${summary.verdict ?? 'none'}`), `verdict-${summary.verdict ?? 'none'}`],
    [t('case.summary.advice'), decision ? t(`desk.advice.${decision.advice}`, { defaultValue: decision.advice }) : none],
    [t('case.summary.decision'), decision ? `${t(`cases.decision.${decision.decision}`, { defaultValue: decision.decision })}${decision.against ? ` · ${t('case.summary.against')}` : ''}` : none, decision?.against ? 'against' : undefined],
    [t('case.summary.reasonCode'), decision?.reasonCode ? `${t(`desk.overrideReasons.${decision.reasonCode}`, { defaultValue: decision.reasonCode })}（${decision.reasonCode}）` : none],
    [t('case.summary.review'), t(`cases.review.${summary.reviewOutcome ?? 'none'}`)],
    [t('case.summary.events'), String(summary.eventCount)],
  ];
  return (
    <section className="panel case-summary" data-testid="case-summary">
      <h2>{t('case.summary.title')}</h2>
      <dl>
        {rows.map(([name, value, className]) => (
          <div key={name} className={className}>
            <dt>{name}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}
