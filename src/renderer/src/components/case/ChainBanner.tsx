import { useTranslation } from 'react-i18next';
import type { CaseReview } from '../../../../shared/review';

/**
 * The chain's verdict, first thing on the page: a broken chain means the log cannot be trusted, so it is red,
 * loud, and names the event (seq) and what is wrong with it.
 */
export function ChainBanner({ chain, events }: { chain: CaseReview['chain']; events: number }) {
  const { t } = useTranslation();
  if (chain.ok || !chain.break) {
    return (
      <p className="chain-ok" data-testid="chain-ok">
        ✓ {t('case.chain.ok', { count: events })}
      </p>
    );
  }
  const b = chain.break;
  return (
    <div className="chain-broken" role="alert" data-testid="chain-broken" data-seq={b.seq} data-reason={b.reason}>
      <strong>⚠ {t('case.chain.broken', { seq: b.seq, reason: t(`case.chain.reasons.${b.reason}`, { defaultValue: b.reason }) })}</strong>
      <div className="chain-detail">
        {b.reason} · {t('case.chain.detail', { message: b.message })}
      </div>
    </div>
  );
}
