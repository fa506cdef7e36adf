import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { DeskState } from '../../../../shared/desk';
import type { AppError } from '../../../../shared/errors';
import { normaliseIdNumber, parseIdNumber } from '../../../../shared/id-number';
import { deskAction } from '../../desk/desk-service';
import { useApi } from '../../transport/api-context';
import { DeskError } from './DeskError';

type LocalProblem = 'name' | 'format' | 'check_digit' | 'birth_date';

/** 18 characters typed: say what is wrong at once; shorter ones are still being typed. */
const ID_LENGTH = 18;

/**
 * Name and ID number. The GB 11643 check is run here first (the same parser as main's), so a typo is named before
 * anything is sent; main checks again and stores only the masked number. Once accepted, only the masked form is
 * shown and the typed number is dropped from the component.
 */
export function IdInfoPanel({ desk }: { desk: DeskState }) {
  const { t } = useTranslation();
  const [editing, setEditing] = useState(false);
  const info = desk.idInfo;
  return (
    <div className="panel id-info" data-testid="id-info" data-set={info ? 'true' : 'false'}>
      <h2>{t('desk.idInfo.title')}</h2>
      {info && !editing ? (
        <>
          <dl className="id-info-summary">
            <dt>{t('desk.idInfo.name')}</dt>
            <dd data-testid="id-info-name">{info.nameMasked}</dd>
            <dt>{t('desk.idInfo.number')}</dt>
            <dd data-testid="id-info-number">{info.idNumberMasked}</dd>
            {info.birthDate && (
              <>
                <dt>{t('desk.idInfo.birthDate')}</dt>
                <dd data-testid="id-info-birth">{info.birthDate}</dd>
              </>
            )}
            {info.gender && (
              <>
                <dt>{t('desk.idInfo.gender')}</dt>
                <dd data-testid="id-info-gender" data-gender={info.gender}>
                  {t(`desk.idInfo.genders.${info.gender}`)}
                </dd>
              </>
            )}
          </dl>
          {!desk.closed && (
            <button type="button" onClick={() => setEditing(true)}>
              {t('desk.idInfo.edit')}
            </button>
          )}
        </>
      ) : (
        <IdInfoForm callId={desk.callId} disabled={desk.closed} onDone={() => setEditing(false)} onCancel={info ? () => setEditing(false) : undefined} />
      )}
    </div>
  );
}

function IdInfoForm({ callId, disabled, onDone, onCancel }: { callId: string; disabled: boolean; onDone(): void; onCancel?: () => void }) {
  const { t } = useTranslation();
  const api = useApi();
  const [name, setName] = useState('');
  const [number, setNumber] = useState('');
  const [submitted, setSubmitted] = useState(false);
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<AppError | null>(null);

  const parsed = parseIdNumber(number);
  const complete = normaliseIdNumber(number).length >= ID_LENGTH;
  const problem: LocalProblem | null = submitted && !name.trim() ? 'name' : (submitted || complete) && !parsed.valid ? (parsed.reason ?? 'format') : null;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSubmitted(true);
    setError(null);
    if (!name.trim() || !parsed.valid) return;
    setSending(true);
    const result = await deskAction(api, 'desk.setIdInfo', { callId, name: name.trim(), idNumber: parsed.normalised });
    setSending(false);
    if (!result.ok) {
      setError(result.error);
      return;
    }
    setName('');
    setNumber('');
    setSubmitted(false);
    onDone();
  };

  return (
    <form className="id-info-form" onSubmit={(e) => void submit(e)} noValidate>
      <label>
        <span>{t('desk.idInfo.name')}</span>
        <input data-testid="id-name" value={name} maxLength={64} autoComplete="off" disabled={disabled || sending} onChange={(e) => setName(e.target.value)} />
      </label>
      <label>
        <span>{t('desk.idInfo.number')}</span>
        <input
          data-testid="id-number"
          className="id-number"
          value={number}
          maxLength={32}
          placeholder={t('desk.idInfo.numberPlaceholder')}
          autoComplete="off"
          spellCheck={false}
          aria-invalid={problem !== null && problem !== 'name'}
          disabled={disabled || sending}
          onChange={(e) => setNumber(e.target.value)}
        />
      </label>
      {problem ? (
        <p className="camera-error" role="alert" data-testid="id-info-error" data-reason={problem}>
          {problem === 'name' ? t('desk.idInfo.nameRequired') : t(`desk.idInfo.problems.${problem}`)}
        </p>
      ) : (
        error && <DeskError error={error} testId="id-info-error" />
      )}
      <div className="id-info-actions">
        <button type="submit" className="primary" data-testid="id-info-submit" disabled={disabled || sending}>
          {sending ? t('desk.idInfo.submitting') : t('desk.idInfo.submit')}
        </button>
        {onCancel && (
          <button type="button" onClick={onCancel}>
            {t('desk.idInfo.cancel')}
          </button>
        )}
      </div>
    </form>
  );
}
