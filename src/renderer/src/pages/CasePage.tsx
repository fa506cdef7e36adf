/**
 * 案件详情: one case of the case log for a team lead (issue 11 item 1) — the chain's verdict first (a broken chain
 * is a red banner naming the event), the summary with the decision and its reason code, the two recordings side by
 * side on one timeline whose marks are the case's checks, challenge steps, guidance pushes and decisions, the
 * evidence frames, and every event in order. Reached from a row of 案件记录.
 */
import { useCallback, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { CaseEvent } from '../../../shared/cases';
import { CaseSummaryPanel } from '../components/case/CaseSummaryPanel';
import { ChainBanner } from '../components/case/ChainBanner';
import { EventList } from '../components/case/EventList';
import { EvidenceGallery } from '../components/case/EvidenceGallery';
import { ReanalysisPanel } from '../components/case/ReanalysisPanel';
import { ReplayPanel } from '../components/case/ReplayPanel';
import type { ReplaySession } from '../components/case/timeline-markers';
import { useCaseReview } from '../components/case/use-case-review';
import '../components/case/case.css';
import { useAppStore } from '../store/store';

export function CasePage({ caseId }: { caseId: string }) {
  const { t } = useTranslation();
  const setPage = useAppStore((s) => s.setPage);
  const { review, recordings, error, refreshRecordings } = useCaseReview(caseId);
  const [selectedSeq, setSelectedSeq] = useState<number | null>(null);
  const [seekRequest, setSeekRequest] = useState<{ seconds: number; n: number } | null>(null);
  const [session, setSession] = useState<ReplaySession | null>(null);
  const onSession = useCallback((s: ReplaySession | null) => setSession(s), []);

  const onEvent = (event: CaseEvent, offsetMs: number | null) => {
    setSelectedSeq(event.seq);
    if (offsetMs !== null) setSeekRequest((r) => ({ seconds: offsetMs / 1000, n: (r?.n ?? 0) + 1 }));
  };

  return (
    <section className="page case-page" data-testid="page-case" data-case-id={caseId}>
      <div className="case-head">
        <button type="button" className="link" data-testid="case-back" onClick={() => setPage('cases')}>
          ← {t('case.back')}
        </button>
        <h1>
          {t('case.title')} <code>{caseId}</code>
        </h1>
      </div>
      {error && (
        <p className="chain-broken" role="alert" data-testid="case-error">
          {t('case.loadFailed', { message: t(`errors.${error.code}`, { detail: error.message }) })}
        </p>
      )}
      {!review && !error && <p className="muted">{t('case.loading')}</p>}
      {review && (
        <>
          <ChainBanner chain={review.chain} events={review.events.length} />
          <div className="case-grid">
            <CaseSummaryPanel summary={review.summary} events={review.events} />
            <ReplayPanel
              recordings={recordings}
              events={review.events}
              selectedSeq={selectedSeq}
              seekRequest={seekRequest}
              onMarker={setSelectedSeq}
              onExpired={refreshRecordings}
              onSession={onSession}
            />
          </div>
          <ReanalysisPanel caseId={caseId} />
          <EvidenceGallery caseId={caseId} items={review.evidence} />
          <EventList events={review.events} span={session ? { originMs: session.originMs, lengthMs: session.lengthMs } : null} selectedSeq={selectedSeq} onSelect={onEvent} />
        </>
      )}
    </section>
  );
}
