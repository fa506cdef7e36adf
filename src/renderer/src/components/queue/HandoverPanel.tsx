import { useTranslation } from 'react-i18next';
import { useAppStore } from '../../store/store';
import { priorCheckText, type Translate } from './queue-logic';
import './queue.css';

/**
 * The hand-over context on the desk of a queued call: where the customer came from (预约回电 for a call-back), the
 * checks the channel already did, shown as done by the channel and not repeated unless the agent chooses to, and the
 * customer's intent. Nothing when the call did not come from the queue.
 */
export function HandoverPanel({ callId }: { callId: string }) {
  const { t, i18n } = useTranslation();
  const active = useAppStore((s) => (s.queue?.active?.callId === callId ? s.queue.active : null));
  if (!active) return null;
  return (
    <div className="panel handover" data-testid="desk-handover" data-origin={active.origin} data-request-id={active.requestId}>
      <h2>
        {t('queue.handover.title')}{' '}
        <span className={`pill${active.origin === 'callback' ? ' queue-callback' : ''}`} data-testid="desk-origin" data-origin={active.origin}>
          {t(`queue.origin.${active.origin}`)}
        </span>
      </h2>
      <section data-testid="desk-prior-checks" data-count={active.priorChecks.length}>
        <h3>{t('queue.handover.priorChecks')}</h3>
        {active.priorChecks.length === 0 ? (
          <p className="muted">{t('queue.handover.noPriorChecks')}</p>
        ) : (
          <>
            <ul className="queue-checks">
              {active.priorChecks.map((check, i) => (
                <li key={i} data-kind={check.kind} data-result={check.result} className={check.result === 'fail' ? 'failed' : undefined}>
                  {priorCheckText(t as unknown as Translate, check, i18n.language)}
                </li>
              ))}
            </ul>
            <p className="muted">{t('queue.handover.notRepeated')}</p>
          </>
        )}
      </section>
      <p data-testid="desk-intent" className="queue-intent">
        {t('queue.intent')}：{active.intent ?? t('queue.handover.noIntent')}
      </p>
      {active.referencePhoto === 'set' && <p className="muted">{t('queue.handover.photoSet')}</p>}
      {active.referencePhoto === 'failed' && (
        <p className="camera-error" data-testid="desk-reference-photo-failed" data-code={active.referencePhotoError ?? ''}>
          {t('queue.handover.photoFailed')}
        </p>
      )}
    </div>
  );
}
