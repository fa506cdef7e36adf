import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { CaseEvent } from '../../../../shared/cases';
import { decodeReviewNote, type ConsoleCaseDetail } from '../../../../shared/console';
import { seconds } from './format';

const MAX_EVENTS = 60;

/** One line per event for the printed timeline: what it says, without biometric data (events never carry any). */
function summarise(e: CaseEvent): string {
  const p = e.payload;
  const check = p.check && typeof p.check === 'object' ? (p.check as { id?: string; status?: string; reason?: string }) : null;
  if (e.type === 'check.result' && check) return `${check.id ?? ''} ${check.status ?? ''} (${check.reason ?? ''})`;
  if (e.type === 'check.result' && typeof p.check === 'string') return `${p.check} ${String(p.status ?? '')}`;
  if (e.type === 'verification.event') return String(p.type ?? '') + (typeof p.advice === 'string' ? ` → ${p.advice}` : '');
  if (e.type === 'decision.made') return `${String(p.decision ?? p.verdict ?? '')}${p.against === true ? ` · against ${String(p.advice ?? '')} · ${String(p.reasonCode ?? '')}` : ''}`;
  if (e.type === 'case.closed') return String(p.verdict ?? '');
  if (e.type === 'review.received') return String(p.outcome ?? '');
  if (e.type === 'case.opened') return String(p.serviceType ?? '');
  return '';
}

/**
 * The one-page case report: a print view the lead opens from the case panel and prints (or saves as PDF through
 * Chromium's print). The print stylesheet (console.css) hides everything but this.
 */
export function ConsoleReport({ detail, onBack }: { detail: ConsoleCaseDetail; onBack(): void }) {
  const { t, i18n } = useTranslation();
  const time = new Intl.DateTimeFormat(i18n.language, { dateStyle: 'short', timeStyle: 'medium' });
  const [generatedAt] = useState(() => Date.now());
  const { row } = detail;
  const events = detail.events.slice(0, MAX_EVENTS);
  const last = detail.events[detail.events.length - 1];
  const reviews = [...detail.reviews, ...detail.posted.filter((p) => !detail.reviews.some((r) => r.reviewId === p.reviewId))];
  return (
    <article className="console-report" data-testid="console-report">
      <div className="console-report-actions">
        <button type="button" className="primary" onClick={() => window.print()} data-testid="console-report-print">
          {t('console.report.print')}
        </button>
        <button type="button" onClick={onBack}>
          {t('console.report.back')}
        </button>
      </div>
      <h1>{t('console.report.title')}</h1>
      <p className="mono">
        {row.caseId} · {t('console.report.generated', { at: time.format(generatedAt) })}
      </p>
      <h2>{t('console.report.facts')}</h2>
      <table className="console-report-facts">
        <tbody>
          <tr>
            <th>{t('console.columns.agent')}</th>
            <td>{row.agentId}</td>
            <th>{t('console.case.workstation')}</th>
            <td className="mono">{row.workstationId ?? '—'}</td>
          </tr>
          <tr>
            <th>{t('console.columns.service')}</th>
            <td>{t(`cases.service.${row.serviceType}`)}</td>
            <th>{t('console.case.idNumber')}</th>
            <td>{detail.idNumberMasked ?? '—'}</td>
          </tr>
          <tr>
            <th>{t('console.columns.opened')}</th>
            <td>{time.format(row.openedAt)}</td>
            <th>{t('console.case.handle')}</th>
            <td>{seconds(row.decidedAt === null ? null : row.decidedAt - row.openedAt)}</td>
          </tr>
          <tr>
            <th>{t('console.columns.advice')}</th>
            <td>{row.advice ? t(`console.advice.${row.advice}`) : '—'}</td>
            <th>{t('console.columns.decision')}</th>
            <td>
              {t(`console.decision.${row.decision ?? 'none'}`)}
              {row.disagreement && ` · ${t('console.table.against')}${row.reasonCode ? `：${t(`desk.overrideReasons.${row.reasonCode}`, { defaultValue: row.reasonCode })}` : ''}`}
            </td>
          </tr>
          <tr>
            <th>{t('console.columns.failed')}</th>
            <td>{row.failedChecks.map((k) => t(`console.failed.${k}`)).join('、') || '—'}</td>
            <th>{t('console.columns.escalated')}</th>
            <td>{row.escalated ? t('console.filters.yes') : t('console.filters.no')}</td>
          </tr>
        </tbody>
      </table>
      <h2>{t('console.report.timeline')}</h2>
      <table className="console-report-timeline">
        <tbody>
          {events.map((e) => (
            <tr key={e.seq}>
              <td>{e.seq}</td>
              <td>{time.format(e.at)}</td>
              <td>{e.type}</td>
              <td>{e.actor}</td>
              <td>{summarise(e)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {detail.events.length > MAX_EVENTS && <p className="muted">{t('console.report.more', { count: detail.events.length - MAX_EVENTS })}</p>}
      <p className="mono small">
        {t('console.report.chain')}: {last?.hash ?? '—'}
      </p>
      <h2>{t('console.report.recordings')}</h2>
      {detail.recordings.length === 0 ? (
        <p className="muted">{t('console.case.noRecordings')}</p>
      ) : (
        <ul>
          {detail.recordings.map((r) => (
            <li key={r.recordingId} className="mono small">
              {r.recordingId} · {r.track ?? '?'} · {t('console.report.duration')} {seconds(r.durationMs)} · sha256 {r.sha256 ?? '—'}
            </li>
          ))}
        </ul>
      )}
      <h2>{t('console.report.reviews')}</h2>
      {reviews.length === 0 ? (
        <p className="muted">{t('console.case.noReviews')}</p>
      ) : (
        <ul>
          {reviews.map((r) => {
            const note = decodeReviewNote(r.note);
            return (
              <li key={r.reviewId}>
                {t(`console.review.${r.outcome}`)} · {r.reviewer} · {time.format(r.createdAt)}
                {note.categories.length > 0 && ` · ${note.categories.map((c) => t(`console.reviewForm.category.${c}`)).join('、')}`}
                {note.note && ` · ${note.note}`}
              </li>
            );
          })}
        </ul>
      )}
    </article>
  );
}
