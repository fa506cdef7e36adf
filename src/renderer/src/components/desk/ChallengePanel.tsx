import { useTranslation } from 'react-i18next';
import type { ChallengeReport, ChallengeStep } from '../../../../shared/verification';
import type { AppError } from '../../../../shared/errors';
import { useNow } from '../call/use-now';
import { DeskError } from './DeskError';

interface ChallengePanelProps {
  challenge: ChallengeReport | undefined;
  canStart: boolean;
  pending: boolean;
  error: AppError | undefined;
  onStart(): void;
}

/** 开始动作活体 and the challenge as the agent follows it (the customer's page shows the same step, without scores). */
export function ChallengePanel({ challenge, canStart, pending, error, onStart }: ChallengePanelProps) {
  const { t } = useTranslation();
  const step = challenge?.status === 'running' && challenge.current !== null ? challenge.steps[challenge.current] : undefined;
  return (
    <section className="desk-challenge" aria-label={t('desk.challenge.title')}>
      <h3>
        {t('desk.challenge.title')}
        {challenge && (
          <span className={`pill challenge-${challenge.status}`} data-testid="challenge-status" data-status={challenge.status}>
            {t(`desk.challenge.result.${challenge.status}`)}
          </span>
        )}
      </h3>
      <button type="button" className="primary" data-testid="challenge-start" disabled={!canStart || pending} onClick={onStart}>
        {challenge && challenge.status !== 'running' ? t('desk.challenge.again') : t('desk.challenge.start')}
      </button>
      {step && challenge && challenge.current !== null && <RunningStep step={step} index={challenge.current} of={challenge.steps.length} />}
      {challenge ? (
        <ol className="challenge-steps">
          {challenge.steps.map((s, i) => (
            <li key={i} className={`step-${s.status}`} data-action={s.action} data-status={s.status}>
              {t(`desk.challenge.actions.${s.action}`)} · {t(`desk.challenge.stepStatus.${s.status}`)}
            </li>
          ))}
        </ol>
      ) : (
        <p className="muted">{t('desk.challenge.idle')}</p>
      )}
      {challenge && challenge.attempt > 1 && <p className="muted">{t('desk.challenge.attempt', { attempt: challenge.attempt })}</p>}
      {error && <DeskError error={error} testId="challenge-error" />}
    </section>
  );
}

/** The running step with its countdown; its own component so only it re-renders four times a second. */
function RunningStep({ step, index, of }: { step: ChallengeStep; index: number; of: number }) {
  const { t } = useTranslation();
  const now = useNow(250);
  const seconds = step.deadline === undefined ? null : Math.max(0, Math.ceil((step.deadline - now) / 1000));
  return (
    <div className="challenge-step" data-testid="challenge-step" data-action={step.action} data-step={index + 1} data-of={of} role="status">
      <span className="muted">{t('desk.challenge.step', { step: index + 1, of })}</span>
      <strong>{t(`desk.challenge.actions.${step.action}`)}</strong>
      {seconds !== null && <span className="countdown">{t('desk.challenge.remaining', { seconds })}</span>}
    </div>
  );
}
