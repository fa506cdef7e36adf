import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { Review } from '../../../../shared/cases';
import { QA_CATEGORIES, QA_OUTCOMES, type ConsoleSource, type QaCategory, type QaOutcome } from '../../../../shared/console';
import type { AppError } from '../../../../shared/errors';
import { useApi } from '../../transport/api-context';
import { ConsoleError } from './ConsoleError';

interface Props {
  source: ConsoleSource;
  caseId: string;
  agentId: string;
  /** The lead's own name (whoami): their own cases cannot be reviewed. */
  leadName: string;
  onPosted(review: Review): void;
}

/** The QA review: outcome, QA items and a note, posted to the backend by main with the lead's token. */
export function ConsoleReviewForm({ source, caseId, agentId, leadName, onPosted }: Props) {
  const { t } = useTranslation();
  const api = useApi();
  const [outcome, setOutcome] = useState<QaOutcome>('confirmed');
  const [categories, setCategories] = useState<QaCategory[]>([]);
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<AppError | null>(null);
  const [posted, setPosted] = useState<Review | null>(null);
  const own = agentId === leadName;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const result = await api.invoke('console.review', { source, caseId, outcome, note, categories });
    setBusy(false);
    if (!result.ok) return setError(result.error);
    setPosted(result.value);
    setNote('');
    onPosted(result.value);
  };

  return (
    <form className="console-review" onSubmit={(e) => void submit(e)} data-testid="console-review-form">
      <h3>{t('console.reviewForm.title')}</h3>
      {own && (
        <p className="console-own" data-testid="console-review-own">
          {t('console.reviewForm.own', { name: leadName })}
        </p>
      )}
      <fieldset disabled={own || busy}>
        <legend>{t('console.reviewForm.outcome')}</legend>
        {QA_OUTCOMES.map((o) => (
          <label key={o} className="toggle">
            <input type="radio" name="qa-outcome" value={o} checked={outcome === o} onChange={() => setOutcome(o)} data-testid={`console-outcome-${o}`} />
            {t(`console.reviewForm.outcomes.${o}`)}
          </label>
        ))}
      </fieldset>
      <fieldset disabled={own || busy}>
        <legend>{t('console.reviewForm.categories')}</legend>
        {QA_CATEGORIES.map((c) => (
          <label key={c} className="toggle">
            <input type="checkbox" checked={categories.includes(c)} onChange={(e) => setCategories((cs) => (e.target.checked ? [...cs, c] : cs.filter((x) => x !== c)))} data-testid={`console-category-${c}`} />
            {t(`console.reviewForm.category.${c}`)}
          </label>
        ))}
      </fieldset>
      <label className="console-note">
        {t('console.reviewForm.note')}
        <textarea value={note} maxLength={3000} rows={3} disabled={own || busy} onChange={(e) => setNote(e.target.value)} data-testid="console-review-note" />
      </label>
      <button type="submit" className="primary" disabled={own || busy} data-testid="console-review-submit">
        {busy ? t('console.reviewForm.submitting') : t('console.reviewForm.submit')}
      </button>
      {posted && (
        <p className="ok" data-testid="console-review-posted">
          {t('console.reviewForm.submitted', { id: posted.reviewId })}
        </p>
      )}
      <ConsoleError error={error} />
    </form>
  );
}
