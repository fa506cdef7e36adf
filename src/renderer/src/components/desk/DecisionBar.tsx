import { useTranslation } from 'react-i18next';
import type { Decision, DeskState, OverrideReason } from '../../../../shared/desk';
import type { AppError } from '../../../../shared/errors';
import { DecisionConfirm } from './DecisionConfirm';
import { DeskError } from './DeskError';

interface DecisionBarProps {
  desk: DeskState;
  choice: Decision | null;
  onChoose(choice: Decision | null): void;
  onDecide(params: { decision: Decision; reasonCode?: OverrideReason; note?: string }): void;
  onEscalate(): void;
  canDecide: boolean;
  canEscalate: boolean;
  pending: { decision?: boolean; escalate?: boolean };
  errors: { decision?: AppError; escalate?: AppError };
  /** Labels of the closing-checklist items still to tick (operate/transact). */
  missing: string[];
}

/** 通过 / 不通过 (a reason when it goes against the advice), 升级给组长, and what was decided. */
export function DecisionBar({ desk, choice, onChoose, onDecide, onEscalate, canDecide, canEscalate, pending, errors, missing }: DecisionBarProps) {
  const { t } = useTranslation();
  return (
    <section className="decision-bar" aria-label={t('desk.decision.title')}>
      <h3>{t('desk.decision.title')}</h3>
      {desk.decision ? (
        <DecisionMade desk={desk} />
      ) : (
        <>
          <div className="decision-choices" role="group">
            <button
              type="button"
              className={choice === 'pass' ? 'decision pass chosen' : 'decision pass'}
              data-testid="decision-pass"
              aria-pressed={choice === 'pass'}
              disabled={!canDecide}
              onClick={() => onChoose('pass')}
            >
              {t('desk.decision.pass')}
            </button>
            <button
              type="button"
              className={choice === 'fail' ? 'decision fail chosen' : 'decision fail'}
              data-testid="decision-fail"
              aria-pressed={choice === 'fail'}
              disabled={!canDecide}
              onClick={() => onChoose('fail')}
            >
              {t('desk.decision.fail')}
            </button>
          </div>
          {choice && canDecide && (
            <DecisionConfirm
              key={choice}
              advice={desk.report.advice}
              choice={choice}
              pending={pending.decision ?? false}
              missing={choice === 'pass' || errors.decision?.code === 'FORBIDDEN' ? missing : []}
              onCancel={() => onChoose(null)}
              onConfirm={(reasonCode, note) => onDecide({ decision: choice, ...(reasonCode ? { reasonCode } : {}), ...(note ? { note } : {}) })}
            />
          )}
          {errors.decision && <DeskError error={errors.decision} testId="decision-error" />}
        </>
      )}
      <div className="escalate-row">
        {desk.escalated ? (
          <span className="pill escalated" data-testid="escalated">
            {t('desk.decision.escalated')}
          </span>
        ) : (
          <button type="button" data-testid="escalate" disabled={!canEscalate || pending.escalate} onClick={onEscalate}>
            {t('desk.decision.escalate')}
          </button>
        )}
      </div>
      {errors.escalate && <DeskError error={errors.escalate} testId="escalate-error" />}
    </section>
  );
}

function DecisionMade({ desk }: { desk: DeskState }) {
  const { t } = useTranslation();
  const d = desk.decision!;
  const decision = t(`desk.decision.${d.decision}`);
  return (
    <div
      className={`decision-made decision-${d.decision}`}
      data-testid="decision-made"
      data-decision={d.decision}
      data-against={d.against ? 'true' : 'false'}
      data-reason={d.reasonCode ?? ''}
      data-closed={desk.closed ? 'true' : 'false'}
    >
      <strong>{d.against && d.reasonCode ? t('desk.decision.madeAgainst', { decision, reason: t(`desk.overrideReasons.${d.reasonCode}`) }) : t('desk.decision.made', { decision })}</strong>
      {desk.closed && (
        <span className="pill case-closed" data-testid="case-closed">
          {t('desk.decision.closed')}
        </span>
      )}
    </div>
  );
}
