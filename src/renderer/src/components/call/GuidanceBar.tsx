import { useTranslation } from 'react-i18next';
import { clearGuidance, pushGuidance } from '../../call/call-service';
import { GUIDANCE_GROUPS } from '../../call/guidance';
import { useAppStore } from '../../store/store';

/** One-click prompts shown on the customer's page (over the peer data channel), with the customer's acknowledgement. */
export function GuidanceBar() {
  const { t } = useTranslation();
  const connected = useAppStore((s) => s.call.phase === 'connected');
  const history = useAppStore((s) => s.call.guidance);
  const last = history[0];
  return (
    <section className="guidance" aria-label={t('call.guidance.title')}>
      <h3>{t('call.guidance.title')}</h3>
      {GUIDANCE_GROUPS.map((group) => (
        <div key={group.name} className="guidance-group">
          <span className="muted">{t(`call.guidance.groups.${group.name}`)}</span>
          {group.keys.map((key) => (
            <button key={key} type="button" data-testid={`guidance-${key}`} disabled={!connected} onClick={() => pushGuidance(key)}>
              {t(`call.guidance.keys.${key}`)}
            </button>
          ))}
        </div>
      ))}
      <div className="guidance-status">
        <button type="button" data-testid="guidance-clear" disabled={!connected} onClick={() => clearGuidance()}>
          {t('call.guidance.clear')}
        </button>
        {!connected && <span className="muted">{t('call.guidance.unavailable')}</span>}
        {last && (
          <span data-testid="guidance-last" data-key={last.key} data-id={last.id} data-acked={last.ackedAt !== null ? 'true' : 'false'}>
            {t(`call.guidance.keys.${last.key}`)} · {last.ackedAt !== null ? <strong className="ok">{t('call.guidance.acked')}</strong> : t('call.guidance.sent')}
          </span>
        )}
      </div>
    </section>
  );
}
