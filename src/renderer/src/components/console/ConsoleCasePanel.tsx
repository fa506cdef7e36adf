import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ConsoleCaseDetail, ConsoleSource } from '../../../../shared/console';
import { decodeReviewNote } from '../../../../shared/console';
import type { AppError } from '../../../../shared/errors';
import { useAppStore } from '../../store/store';
import { useApi } from '../../transport/api-context';
import { ConsoleBackendReplay } from './ConsoleBackendReplay';
import { ConsoleError } from './ConsoleError';
import { ConsoleReviewForm } from './ConsoleReviewForm';
import { seconds } from './format';

interface Props {
  source: ConsoleSource;
  caseId: string;
  leadName: string;
  onClose(): void;
  onReport(detail: ConsoleCaseDetail): void;
}

/** One case beside the list: its facts, reviews, recording references (a backend case's uploaded ones played here), and the review form. */
export function ConsoleCasePanel({ source, caseId, leadName, onClose, onReport }: Props) {
  const { t, i18n } = useTranslation();
  const api = useApi();
  const openCase = useAppStore((s) => s.openCase);
  const [detail, setDetail] = useState<ConsoleCaseDetail | null>(null);
  const [error, setError] = useState<AppError | null>(null);
  const [reload, setReload] = useState(0);

  useEffect(() => {
    let cancelled = false;
    void api.invoke('console.case', { source, caseId }).then((r) => {
      if (cancelled) return;
      if (r.ok) {
        setDetail(r.value);
        setError(null);
      } else setError(r.error);
    });
    return () => {
      cancelled = true;
    };
  }, [api, source, caseId, reload]);

  const time = new Intl.DateTimeFormat(i18n.language, { dateStyle: 'short', timeStyle: 'medium' });
  const row = detail?.row;
  const reviews = detail ? [...detail.reviews, ...detail.posted.filter((p) => !detail.reviews.some((r) => r.reviewId === p.reviewId))] : [];
  return (
    <aside className="console-case panel" data-testid="console-case">
      <header className="console-case-head">
        <h2>{t('console.case.title', { caseId: caseId.slice(0, 13) })}</h2>
        {detail && (
          <button type="button" onClick={() => onReport(detail)} data-testid="console-report-open">
            {t('console.case.report')}
          </button>
        )}
        {source === 'local' && (
          <button type="button" onClick={() => openCase(caseId)}>
            {t('console.case.replay')}
          </button>
        )}
        <button type="button" onClick={onClose} aria-label={t('console.case.close')}>
          ×
        </button>
      </header>
      <ConsoleError error={error} />
      {/* the backend re-verified its stored copy of the chain: a broken one is said before anything else */}
      {detail?.chainValid === false && (
        <p className="chain-broken" role="alert" data-testid="console-chain-broken">
          {t('console.import.reasons.chain_broken')}
        </p>
      )}
      {row && detail && (
        <>
          <dl className="console-facts">
            <dt>{t('console.columns.agent')}</dt>
            <dd>{row.agentId}</dd>
            <dt>{t('console.case.workstation')}</dt>
            <dd className="mono">{row.workstationId ?? '—'}</dd>
            <dt>{t('console.columns.service')}</dt>
            <dd>{t(`cases.service.${row.serviceType}`)}</dd>
            <dt>{t('console.case.idNumber')}</dt>
            <dd>{detail.idNumberMasked ?? '—'}</dd>
            <dt>{t('console.columns.opened')}</dt>
            <dd>{time.format(row.openedAt)}</dd>
            <dt>{t('console.case.handle')}</dt>
            <dd>{seconds(row.decidedAt === null ? null : row.decidedAt - row.openedAt)}</dd>
            <dt>{t('console.columns.advice')}</dt>
            <dd>{row.advice ? t(`console.advice.${row.advice}`) : '—'}</dd>
            <dt>{t('console.columns.decision')}</dt>
            <dd>
              {t(`console.decision.${row.decision ?? 'none'}`)}
              {row.disagreement && ` · ${t('console.table.against')}${row.reasonCode ? `：${t(`desk.overrideReasons.${row.reasonCode}`, { defaultValue: row.reasonCode })}` : ''}`}
            </dd>
            <dt>{t('console.columns.failed')}</dt>
            <dd>{row.failedChecks.map((k) => t(`console.failed.${k}`)).join('、') || '—'}</dd>
            <dt>{t('console.columns.escalated')}</dt>
            <dd>{row.escalated ? t('console.filters.yes') : t('console.filters.no')}</dd>
          </dl>
          <p className="muted">{t('console.case.events', { count: detail.events.length })}</p>
          {source === 'backend' && <ConsoleBackendReplay caseId={caseId} events={detail.events} />}
          {source !== 'backend' && <h3>{t('console.case.recordings')}</h3>}
          {source === 'backend' ? null : detail.recordings.length === 0 ? (
            <p className="muted">{t('console.case.noRecordings')}</p>
          ) : (
            <ul className="console-refs">
              {detail.recordings.map((r) => (
                <li key={r.recordingId}>
                  {r.track ?? '?'} · {seconds(r.durationMs)} · <span className="mono">{r.sha256?.slice(0, 16) ?? '—'}</span>
                </li>
              ))}
            </ul>
          )}
          <h3>{t('console.case.reviews')}</h3>
          {reviews.length === 0 ? (
            <p className="muted">{t('console.case.noReviews')}</p>
          ) : (
            <ul className="console-refs" data-testid="console-case-reviews">
              {reviews.map((r) => {
                const note = decodeReviewNote(r.note);
                return (
                  <li key={r.reviewId}>
                    {t(`console.review.${r.outcome}`)} · {r.reviewer} · {time.format(r.createdAt)}
                    {note.categories.length > 0 && ` · ${note.categories.map((c) => t(`console.reviewForm.category.${c}`)).join('、')}`}
                    {note.note && <div className="muted">{note.note}</div>}
                  </li>
                );
              })}
            </ul>
          )}
          <ConsoleReviewForm key={caseId} source={source} caseId={caseId} agentId={row.agentId} leadName={leadName} onPosted={() => setReload((n) => n + 1)} />
        </>
      )}
    </aside>
  );
}
