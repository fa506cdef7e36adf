import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ANALYSIS_WIDTHS, LANGUAGES, SettingsPatchSchema, type Settings } from '../../../shared/settings';
import { listCameras } from '../camera/agent-camera';
import { VideoView } from '../components/VideoView';
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
      setMessage({ kind: 'error', text: t('settings.invalid', { detail: `${issue?.path.join('.')}: ${issue?.message}` }) });
      return;
    }
    const result = await api.invoke('settings.update', parsed.data);
    setMessage(result.ok ? { kind: 'ok', text: t('settings.saved') } : { kind: 'error', text: t(`errors.${result.error.code}`, { detail: result.error.message }) });
  };

  return (
    <section className="page settings" data-testid="page-settings">
      <h1>{t('settings.title')}</h1>
      <div className="settings-grid">
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
          <h2>{t('settings.preview')}</h2>
          <VideoView stream={preview.stream} testId="settings-preview" label={t('settings.preview')} />
          {preview.error && <p className="camera-error">{t(`camera.errors.${preview.error}`, { defaultValue: t('camera.errors.unknown', { detail: preview.error }) })}</p>}
        </div>
      </div>
    </section>
  );
}
