import { useContext, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { AppError } from '../../../../shared/errors';
import { useAppStore } from '../../store/store';
import { ApiContext } from '../../transport/api-context';
import { checkLine, errorText, presenceBlocked, signInNeedsFrames, type Translate } from './shift-logic';
import { answerCheck, signIn, useShiftStatus } from './use-shift';

/**
 * The status bar's shift: 签到 (confirm the agent id; with a face check of the agent's own camera when the center
 * enables it), 签退, a random check answered on its own when main says one is due, and after a failed check the
 * notice with 重新核验. When the next check falls is never shown: the agent must not be able to tell.
 */
export function ShiftControl() {
  const { t } = useTranslation();
  const tr = t as unknown as Translate;
  const api = useContext(ApiContext);
  const settings = useAppStore((s) => s.settings);
  const [status, setStatus] = useShiftStatus(api);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<AppError | null>(null);
  const [form, setForm] = useState<string | null>(null);
  const answered = useRef<string | null>(null);

  const run = async (action: () => Promise<{ ok: true; value: NonNullable<typeof status> } | { ok: false; error: AppError }>) => {
    setBusy(true);
    setError(null);
    const result = await action();
    if (result.ok) setStatus(result.value);
    else setError(result.error);
    setBusy(false);
    return result.ok;
  };

  // a random check main is waiting for: answered once per check, with frames of the agent's own camera
  const due = status?.checkDue ?? null;
  useEffect(() => {
    if (!api || !due || answered.current === due.checkId) return;
    answered.current = due.checkId;
    void run(() => answerCheck(api, due.checkId));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, due?.checkId]);

  if (!api || !status) return null;
  const shift = status.shift;
  const blocked = presenceBlocked(status);
  return (
    <span className={`pill shift-seat ${shift ? 'shift-on' : 'shift-off'}`} data-testid="shift-seat" data-signed-in={shift ? 'yes' : 'no'} data-presence={status.presenceOk ? 'ok' : 'failed'}>
      {shift ? (
        <>
          <span data-testid="shift-agent">{t('shift.signedIn', { agentId: shift.agentId })}</span>{' '}
          <button type="button" data-testid="shift-sign-out" disabled={busy} onClick={() => void run(() => api.invoke('shift.signOut', {}))}>
            {t('shift.signOut')}
          </button>
        </>
      ) : form === null ? (
        <button type="button" data-testid="shift-sign-in" disabled={busy} onClick={() => setForm(settings?.agentId ?? '')}>
          {t('shift.signIn')}
        </button>
      ) : (
        <form
          className="shift-form"
          onSubmit={(e) => {
            e.preventDefault();
            void run(() => signIn(api, form.trim(), signInNeedsFrames(status))).then((ok) => ok && setForm(null));
          }}
        >
          <label>
            {t('shift.agentId')} <input data-testid="shift-agent-input" value={form} maxLength={64} onChange={(e) => setForm(e.target.value)} />
          </label>
          <button type="submit" data-testid="shift-confirm" disabled={busy || form.trim() === ''}>
            {signInNeedsFrames(status) ? t('shift.confirmWithCheck') : t('shift.confirm')}
          </button>
          <button type="button" onClick={() => setForm(null)} disabled={busy}>
            {t('shift.cancel')}
          </button>
        </form>
      )}
      {busy && status.faceCheck.enabled && <span className="muted">{t('shift.checking')}</span>}
      {blocked && (
        <span role="alert" data-testid="shift-presence-failed" className="queue-error">
          {t('shift.presenceFailed')}
          {status.lastCheck ? ` (${checkLine(tr, status.lastCheck)})` : ''}{' '}
          <button type="button" data-testid="shift-retry" disabled={busy} onClick={() => void run(() => answerCheck(api, status.checkDue?.checkId))}>
            {t('shift.retry')}
          </button>
        </span>
      )}
      {error && (
        <span role="alert" data-testid="shift-error" data-code={error.code} className="queue-error">
          {errorText(tr, error)}
        </span>
      )}
    </span>
  );
}
