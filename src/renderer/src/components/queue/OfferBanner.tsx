import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { useAppStore } from '../../store/store';
import { useApi } from '../../transport/api-context';
import { useNow } from '../call/use-now';
import { acceptOffer, declineOffer } from './queue-actions';
import { clock, offerKey, offerShown, priorCheckText, secondsLeft, waitedSeconds, type Translate } from './queue-logic';
import './queue.css';

/**
 * A customer offered to this seat: service type, how long they waited, the channel's checks, the intent, a
 * countdown to the offer's lapse, 接听 (Enter or F2) and 拒绝. Shown on every page, above it.
 */
export function OfferBanner() {
  const { t, i18n } = useTranslation();
  const api = useApi();
  const queue = useAppStore((s) => s.queue);
  const busy = useAppStore((s) => s.queueBusy);
  const error = useAppStore((s) => s.queueError);
  const now = useNow(250);
  const shown = offerShown(queue, now);
  const offer = shown ? (queue?.offer ?? null) : null;
  const requestId = offer?.requestId ?? null;

  useEffect(() => {
    if (!requestId) return;
    const onKey = (event: KeyboardEvent) => {
      if (offerKey(event) !== 'accept') return;
      event.preventDefault();
      void acceptOffer(api, requestId);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [api, requestId]);

  if (!offer || !queue) return null;
  const left = secondsLeft(offer.expiresAt, now, queue.clockOffsetMs);
  const accepting = queue.accepting === offer.requestId;
  return (
    <section className="queue-offer" role="alertdialog" aria-label={t('queue.offer.title')} data-testid="queue-offer" data-request-id={offer.requestId} data-origin={offer.origin}>
      <header>
        <strong>{t('queue.offer.title')}</strong>
        <span className="pill">{t(`cases.service.${offer.serviceType}`)}</span>
        {offer.origin === 'callback' && (
          <span className="pill queue-callback" data-testid="queue-offer-callback">
            {t('queue.origin.callback')}
          </span>
        )}
        <span className="muted">{t('queue.offer.waited', { time: clock(waitedSeconds(offer.enqueuedAt, now, queue.clockOffsetMs)) })}</span>
        <span className={left <= 5 ? 'queue-countdown urgent' : 'queue-countdown'} data-testid="queue-offer-countdown" data-seconds={left}>
          {t('queue.offer.countdown', { seconds: left })}
        </span>
      </header>
      {offer.priorChecks.length > 0 && (
        <ul className="queue-checks" data-testid="queue-offer-checks">
          {offer.priorChecks.map((check, i) => (
            <li key={i} data-kind={check.kind} data-result={check.result}>
              {priorCheckText(t as unknown as Translate, check, i18n.language)}
            </li>
          ))}
        </ul>
      )}
      {offer.intent && (
        <p className="queue-intent" data-testid="queue-offer-intent">
          {t('queue.intent')}：{offer.intent}
        </p>
      )}
      {offer.hasReferencePhoto && <p className="muted">{t('queue.offer.hasPhoto')}</p>}
      <div className="queue-offer-actions">
        <button type="button" className="primary" data-testid="queue-offer-accept" disabled={busy} onClick={() => void acceptOffer(api, offer.requestId)}>
          {accepting ? t('queue.offer.accepting') : t('queue.offer.accept')}
        </button>
        <button type="button" data-testid="queue-offer-decline" disabled={busy} onClick={() => void declineOffer(api, offer.requestId)}>
          {t('queue.offer.decline')}
        </button>
      </div>
      {error && (
        <p role="alert" className="camera-error" data-testid="queue-offer-error" data-code={error.code}>
          {t(`errors.${error.code}`, { detail: error.message })}
        </p>
      )}
    </section>
  );
}
