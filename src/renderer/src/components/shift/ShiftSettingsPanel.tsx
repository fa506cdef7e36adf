import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { AppError } from '../../../../shared/errors';
import { FACE_CHECK_INTERVAL_LIMITS, MAX_ENROL_PHOTO_BYTES, ShiftFaceCheckSettingsSchema, type ShiftHistoryEntry } from '../../../../shared/shift';
import { bytesToBase64 } from '../../call/base64';
import { useAppStore } from '../../store/store';
import { useApi } from '../../transport/api-context';
import { checkLine, errorText, type Translate } from './shift-logic';
import { useShiftStatus } from './use-shift';

/**
 * 设置 → 在岗核验: whether the center checks the agent's face during the shift and how often (random within the
 * interval), the enrolled photo of the agent id in 设置 (re-enrolment replaces it; only its embedding is kept,
 * encrypted), and the recent shifts with their checks and each shift log's chain verdict.
 */
export function ShiftSettingsPanel() {
  const { t } = useTranslation();
  const tr = t as unknown as Translate;
  const api = useApi();
  const settings = useAppStore((s) => s.settings);
  const [status] = useShiftStatus(api);
  const [policy, setPolicy] = useState(settings?.shiftFaceCheck ?? null);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [history, setHistory] = useState<ShiftHistoryEntry[]>([]);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    void api.invoke('shift.history', { limit: 10 }).then((r) => r.ok && setHistory(r.value));
  }, [api, status]);
  if (!settings || !policy) return null;

  const fail = (error: AppError) => setMessage({ ok: false, text: errorText(tr, error) });

  const savePolicy = async () => {
    const parsed = ShiftFaceCheckSettingsSchema.safeParse(policy);
    if (!parsed.success) return setMessage({ ok: false, text: t('shift.settings.intervalInvalid', FACE_CHECK_INTERVAL_LIMITS) });
    const result = await api.invoke('settings.update', { shiftFaceCheck: parsed.data });
    if (result.ok) setMessage({ ok: true, text: t('shift.settings.saved') });
    else fail(result.error);
  };

  const enrol = async (file: File) => {
    if (file.size > MAX_ENROL_PHOTO_BYTES) return setMessage({ ok: false, text: t('shift.settings.tooLarge') });
    setBusy(true);
    const data = bytesToBase64(new Uint8Array(await file.arrayBuffer()));
    const result = await api.invoke('shift.enrol', { agentId: settings.agentId, data });
    setBusy(false);
    if (result.ok) setMessage({ ok: true, text: t('shift.settings.enrolled', { agentId: result.value.agentId }) });
    else fail(result.error);
  };

  const number = (value: string) => (value === '' ? Number.NaN : Number(value));
  return (
    <section className="panel" data-testid="settings-shift">
      <h2>{t('shift.settings.title')}</h2>
      <label>
        <input type="checkbox" data-testid="shift-check-enabled" checked={policy.enabled} onChange={(e) => setPolicy({ ...policy, enabled: e.target.checked })} /> {t('shift.settings.enabled')}
      </label>
      <label>
        {t('shift.settings.interval')}{' '}
        <input type="number" data-testid="shift-check-min" value={policy.minIntervalMin} min={FACE_CHECK_INTERVAL_LIMITS.min} max={FACE_CHECK_INTERVAL_LIMITS.max} onChange={(e) => setPolicy({ ...policy, minIntervalMin: number(e.target.value) })} /> –{' '}
        <input type="number" data-testid="shift-check-max" value={policy.maxIntervalMin} min={FACE_CHECK_INTERVAL_LIMITS.min} max={FACE_CHECK_INTERVAL_LIMITS.max} onChange={(e) => setPolicy({ ...policy, maxIntervalMin: number(e.target.value) })} /> {t('shift.settings.minutes')}
      </label>
      <button type="button" data-testid="shift-check-save" onClick={() => void savePolicy()}>
        {t('shift.settings.save')}
      </button>
      <p data-testid="shift-enrolment" data-enrolled={status?.enrolment ? 'yes' : 'no'}>
        {status?.enrolment
          ? t('shift.settings.enrolledAt', { agentId: settings.agentId, time: new Date(status.enrolment.enrolledAt).toLocaleString() })
          : t('shift.settings.notEnrolled', { agentId: settings.agentId })}
      </p>
      <label>
        {t('shift.settings.enrolPhoto')}{' '}
        <input type="file" accept="image/jpeg,image/png,image/webp" data-testid="shift-enrol-file" disabled={busy} onChange={(e) => e.target.files?.[0] && void enrol(e.target.files[0])} />
      </label>
      {message && (
        <p role="status" className={message.ok ? 'ok' : 'camera-error'} data-testid="shift-settings-message">
          {message.text}
        </p>
      )}
      <h3>{t('shift.history.title')}</h3>
      {history.length === 0 ? (
        <p className="muted">{t('shift.history.none')}</p>
      ) : (
        <ul data-testid="shift-history">
          {history.map((entry) => (
            <li key={entry.shiftId} data-chain={entry.chain.ok ? 'ok' : 'broken'}>
              {t('shift.history.line', {
                agentId: entry.agentId,
                from: new Date(entry.startedAt).toLocaleString(),
                to: entry.endedAt ? new Date(entry.endedAt).toLocaleTimeString() : t('shift.history.open'),
                reason: entry.endReason ? t(`shift.endReasons.${entry.endReason}`) : '',
              })}{' '}
              {entry.chain.ok ? t('shift.history.chainOk') : <strong className="camera-error">{t('shift.history.chainBroken', { seq: entry.chain.brokenAt, reason: entry.chain.reason })}</strong>}
              {entry.checks.length > 0 && (
                <ul>
                  {entry.checks.map((check) => (
                    <li key={check.checkId}>
                      {new Date(check.at).toLocaleTimeString()} {checkLine(tr, check)}
                    </li>
                  ))}
                </ul>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
