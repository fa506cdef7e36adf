import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { OVERRIDE_REASONS, type Decision, type OverrideReason } from '../../../../shared/desk';
import type { Advice } from '../../../../shared/verification';
import { needsOverride } from '../../desk/decision';

interface DecisionConfirmProps {
  advice: Advice;
  choice: Decision;
  pending: boolean;
  missing: string[];
  onCancel(): void;
  onConfirm(reasonCode: OverrideReason | null, note: string | null): void;
}

/**
 * The second step of a decision: nothing is recorded on the first click (a decision closes the case). Against the
 * advice a reason is required (DESIGN.md §6); the rule is re-evaluated as the advice changes under the agent.
 */
export function DecisionConfirm({ advice, choice, pending, missing, onCancel, onConfirm }: DecisionConfirmProps) {
  const { t } = useTranslation();
  const [reason, setReason] = useState<OverrideReason | ''>('');
  const [note, setNote] = useState('');
  const override = needsOverride(advice, choice);
  return (
    <div className="decision-confirm" data-override={override ? 'true' : 'false'}>
      {override && (
        <>
          <label className="override">
            <span>{t('desk.decision.against')}</span>
            <select data-testid="override-reason" value={reason} onChange={(e) => setReason(e.target.value as OverrideReason | '')} required>
              <option value="">{t('desk.decision.choose')}</option>
              {OVERRIDE_REASONS.map((r) => (
                <option key={r} value={r}>
                  {t(`desk.overrideReasons.${r}`)}
                </option>
              ))}
            </select>
          </label>
          <label className="override-note">
            <span>{t('desk.decision.note')}</span>
            <textarea data-testid="decision-note" maxLength={500} rows={2} value={note} onChange={(e) => setNote(e.target.value)} />
          </label>
        </>
      )}
      {missing.length > 0 && (
        <div className="decision-missing" data-testid="decision-missing" role="alert">
          <p>{t('desk.decision.missing')}</p>
          <ul>
            {missing.map((label) => (
              <li key={label}>{label}</li>
            ))}
          </ul>
        </div>
      )}
      <div className="decision-actions">
        <button
          type="button"
          className="primary"
          data-testid="decision-confirm"
          disabled={pending || (override && reason === '')}
          onClick={() => onConfirm(override && reason !== '' ? reason : null, override && note.trim() ? note.trim() : null)}
        >
          {pending ? t('desk.decision.sending') : t('desk.decision.confirm')}
        </button>
        <button type="button" onClick={onCancel}>
          {t('desk.decision.cancel')}
        </button>
      </div>
    </div>
  );
}
