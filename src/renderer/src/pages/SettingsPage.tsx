import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ANALYSIS_WIDTHS, backendOrigin, HTTPS_REQUIRED_MESSAGE, LANGUAGES, SettingsPatchSchema, type BackendTokenState, type Settings } from '../../../shared/settings';
import { listCameras } from '../camera/agent-camera';
import { VideoView } from '../components/VideoView';
import { ShiftSettingsPanel } from '../components/shift/ShiftSettingsPanel';
import { useAppStore } from '../store/store';
import { useApi } from '../transport/api-context';

/** Live preview of the camera chosen in the form (its own stream, closed when the choice or page changes). */
function useDevicePreview(deviceId: string | null): { stream: MediaStream | null; error: string | null } {
  const [state, setState] = useState<{ stream: MediaStream | null; error: string | null }>({ stream: null, error: null });
  useEffect(() => {
    let opened: MediaStream | null = null;
    let cancelled = false;
    navigator.mediaDevices
      .getUserMedia({ audio: false, video: deviceId ? { deviceId: { exact: deviceId } } : true })
      .then((stream) => {
        if (cancelled) return stream.getTracks().forEach((track) => track.stop());
        opened = stream;
        setState({ stream, error: null });
        void listCameras();
      })
      .catch((error: Error) => !cancelled && setState({ stream: null, error: error.name }));
    return () => {
      cancelled = true;
      opened?.getTracks().forEach((track) => track.stop());
    };
  }, [deviceId]);
  return state;
}

export function SettingsPage() {
  const settings = useAppStore((s) => s.settings);
  // kept here: the form below restarts (new key) whenever main's settings change, e.g. right after a save
  const [message, setMessage] = useState<FormMessage | null>(null);
  return settings ? <SettingsForm key={JSON.stringify(settings)} settings={settings} message={message} setMessage={setMessage} /> : null;
}

type FormMessage = { kind: 'ok' | 'error'; text: string };

interface SettingsFormProps {
  settings: Settings;
  message: FormMessage | null;
  setMessage(message: FormMessage | null): void;
}

function SettingsForm({ settings, message, setMessage }: SettingsFormProps) {
  const { t } = useTranslation();
  const api = useApi();
  const devices = useAppStore((s) => s.camera.devices);
  const [draft, setDraft] = useState<Settings>(settings);
  const preview = useDevicePreview(draft.cameraDeviceId);

  const change = <K extends keyof Settings>(key: K, value: Settings[K]) => {
    setDraft({ ...draft, [key]: value });
    setMessage(null);
  };

  const save = async () => {
    const parsed = SettingsPatchSchema.safeParse(draft);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      // the https rule has its own text in the agent's language; other issues show zod's
      const detail = issue?.message === HTTPS_REQUIRED_MESSAGE ? t('settings.httpsRequired') : `${issue?.path.join('.')}: ${issue?.message}`;
      setMessage({ kind: 'error', text: t('settings.invalid', { detail }) });
      return;
    }
    const result = await api.invoke('settings.update', parsed.data);
    if (result.ok) return setMessage({ kind: 'ok', text: t('settings.saved') });
    const detail = result.error.message.includes(HTTPS_REQUIRED_MESSAGE) ? t('settings.httpsRequired') : result.error.message;
    setMessage({ kind: 'error', text: t(`errors.${result.error.code}`, { detail }) });
  };

  return (
    <section className="page settings" data-testid="page-settings">
      <h1>{t('settings.title')}</h1>
      <div className="settings-grid">
        <div className="settings-column">
          <form
            onSubmit={(event) => {
              event.preventDefault();
              void save();
            }}
          >
            <label>
              {t('settings.camera')}
              <select data-testid="settings-camera" value={draft.cameraDeviceId ?? ''} onChange={(e) => change('cameraDeviceId', e.target.value || null)}>
                <option value="">{t('camera.default')}</option>
                {devices.map((device, index) => (
                  <option key={device.deviceId || index} value={device.deviceId}>
                    {device.label || `${t('settings.camera')} ${index + 1}`}
                  </option>
                ))}
              </select>
            </label>
            <label>
              {t('settings.language')}
              <select data-testid="settings-language" value={draft.language} onChange={(e) => change('language', e.target.value as Settings['language'])}>
                {LANGUAGES.map((language) => (
                  <option key={language} value={language}>
                    {t(`language.${language}`)}
                  </option>
                ))}
              </select>
            </label>
            <label>
              {t('settings.agentId')}
              <input data-testid="settings-agent" value={draft.agentId} onChange={(e) => change('agentId', e.target.value)} />
            </label>
            <label>
              {t('settings.backendUrl')}
              <input data-testid="settings-backend" value={draft.backendUrl} onChange={(e) => change('backendUrl', e.target.value)} />
            </label>
            <label>
              {t('settings.analysisWidth')}
              <select data-testid="settings-width" value={draft.analysisWidth} onChange={(e) => change('analysisWidth', Number(e.target.value) as Settings['analysisWidth'])}>
                {ANALYSIS_WIDTHS.map((width) => (
                  <option key={width} value={width}>
                    {width} px
                  </option>
                ))}
              </select>
            </label>
            <button type="submit" data-testid="settings-save">
              {t('settings.save')}
            </button>
            {message && (
              <p className={message.kind === 'ok' ? 'ok' : 'camera-error'} role="status" data-testid="settings-message">
                {message.text}
              </p>
            )}
          </form>
          <div className="panel">
            <BackendTokenPanel savedUrl={settings.backendUrl} draftUrl={draft.backendUrl} />
            <SyncPanel />
            <ShiftSettingsPanel />
          </div>
        </div>
        <div className="panel">
          <h2>{t('settings.preview')}</h2>
          <VideoView stream={preview.stream} testId="settings-preview" label={t('settings.preview')} />
          {preview.error && <p className="camera-error">{t(`camera.errors.${preview.error}`, { defaultValue: t('camera.errors.unknown', { detail: preview.error }) })}</p>}
        </div>
      </div>
    </section>
  );
}

/**
 * The backend token: whether one is set for the saved backend (never the token itself: main keeps it), a field to
 * enter a new one and a button to clear it. A token is bound to the saved URL's origin, so while the URL field holds
 * an unsaved change the token cannot be saved.
 */
function BackendTokenPanel({ savedUrl, draftUrl }: { savedUrl: string; draftUrl: string }) {
  const { t } = useTranslation();
  const api = useApi();
  const [state, setState] = useState<BackendTokenState | null>(null);
  const [token, setToken] = useState('');
  const [message, setMessage] = useState<FormMessage | null>(null);
  useEffect(() => {
    let live = true;
    void api.invoke('settings.backendToken', {}).then((result) => live && result.ok && setState(result.value));
    const off = api.on('settings.backendToken', (next) => setState(next));
    return () => {
      live = false;
      off();
    };
  }, [api, savedUrl]);
  const urlChanged = draftUrl !== savedUrl;
  const origin = state?.origin ?? safeOrigin(savedUrl);

  const apply = async (next: string | null) => {
    if (next !== null && next.trim() === '') return setMessage({ kind: 'error', text: t('settings.token.empty') });
    const result = await api.invoke('settings.setBackendToken', { token: next === null ? null : next.trim() });
    if (!result.ok) return setMessage({ kind: 'error', text: t(`errors.${result.error.code}`, { detail: result.error.message }) });
    setState(result.value);
    setToken('');
    setMessage({ kind: 'ok', text: t(next === null ? 'settings.token.cleared' : 'settings.token.saved') });
  };

  return (
    <section data-testid="settings-token" data-token-set={state?.backendTokenSet ?? false}>
      <h2>{t('settings.token.title')}</h2>
      <p>
        <span data-testid="settings-token-state">{state?.backendTokenSet ? t('settings.token.set') : t('settings.token.notSet')}</span>
        {origin && <> · {t('settings.token.bound', { origin })}</>}
      </p>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void apply(token);
        }}
      >
        <label>
          {t('settings.token.input')}
          <input
            data-testid="settings-token-input"
            type="password"
            autoComplete="off"
            spellCheck={false}
            value={token}
            placeholder={t('settings.token.placeholder')}
            disabled={urlChanged}
            onChange={(e) => {
              setToken(e.target.value);
              setMessage(null);
            }}
          />
        </label>
        <button type="submit" data-testid="settings-token-save" disabled={urlChanged}>
          {t('settings.token.save')}
        </button>
        <button type="button" data-testid="settings-token-clear" disabled={urlChanged || !state?.backendTokenSet} onClick={() => void apply(null)}>
          {t('settings.token.clear')}
        </button>
      </form>
      <p className="hint">{urlChanged ? t('settings.token.saveUrlFirst') : t('settings.token.hint')}</p>
      {message && (
        <p className={message.kind === 'ok' ? 'ok' : 'camera-error'} role="status" data-testid="settings-token-message">
          {message.text}
        </p>
      )}
    </section>
  );
}

/** Sync's state, why it stopped, the held cases, and a retry for when a refusal stopped it. */
function SyncPanel() {
  const { t } = useTranslation();
  const api = useApi();
  const sync = useAppStore((s) => s.sync);
  const setSync = useAppStore((s) => s.setSync);
  return (
    <section data-testid="settings-sync" data-state={sync.state}>
      <h2>{t('settings.sync.title')}</h2>
      <p>
        {t('settings.sync.state')}: {t(`status.syncState.${sync.state}`, { pending: sync.pending })}
        {(sync.held ?? 0) > 0 && (
          <>
            {' '}
            · {t('settings.sync.held')}: <span data-testid="settings-sync-held">{sync.held}</span>
          </>
        )}
      </p>
      {sync.lastError && (
        <p className="camera-error" data-testid="settings-sync-reason">
          {t('settings.sync.reason')}: {sync.lastError.code}: {sync.lastError.message}
        </p>
      )}
      {(sync.state === 'blocked' || sync.state === 'backoff') && (
        <button
          type="button"
          data-testid="settings-sync-retry"
          onClick={() => void api.invoke('sync.retry', {}).then((result) => result.ok && setSync(result.value))}
        >
          {t('settings.sync.retry')}
        </button>
      )}
    </section>
  );
}

function safeOrigin(url: string): string | null {
  try {
    return backendOrigin(url);
  } catch {
    return null;
  }
}
