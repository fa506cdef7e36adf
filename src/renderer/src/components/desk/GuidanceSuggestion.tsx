import { useTranslation } from 'react-i18next';
import { GUIDANCE_CODES, GUIDANCE_CUSTOMER_KEY, type Check, type GuidanceCode } from '../../../../shared/verification';
import { pushGuidance } from '../../call/call-service';
import { reasonKey } from '../../desk/format';

const isGuidanceCode = (reason: string): reason is GuidanceCode => (GUIDANCE_CODES as readonly string[]).includes(reason);

/**
 * The quality check's most important guidance as one highlighted button: it pushes the plain prompt (a guidance key,
 * never a score) to the customer's page. A code without a customer prompt (eyes closed) is for the agent to say.
 */
export function GuidanceSuggestion({ quality, connected }: { quality: Check | undefined; connected: boolean }) {
  const { t } = useTranslation();
  const code = quality?.status === 'warn' && isGuidanceCode(quality.reason) ? quality.reason : null;
  const key = code ? GUIDANCE_CUSTOMER_KEY[code] : null;
  return (
    <section className="guidance-suggestion" data-testid="guidance-suggestion" data-code={code ?? ''} aria-label={t('desk.guidance.title')}>
      <h3>{t('desk.guidance.title')}</h3>
      {!code ? (
        <p className="muted">{t('desk.guidance.none')}</p>
      ) : (
        <div className="guidance-suggested-row">
          <span className="issue">{t(reasonKey('quality', code))}</span>
          {key ? (
            <button type="button" className="suggested" data-testid="guidance-suggested" data-key={key} disabled={!connected} onClick={() => pushGuidance(key)}>
              {t('desk.guidance.push', { prompt: t(`call.guidance.keys.${key}`) })}
            </button>
          ) : (
            <span className="muted">{t('desk.guidance.sayIt')}</span>
          )}
        </div>
      )}
    </section>
  );
}
