import { useTranslation } from 'react-i18next';
import { useAppStore } from '../store/store';

export function StatusBar() {
  const { t } = useTranslation();
  const connection = useAppStore((s) => s.connection);
  const settings = useAppStore((s) => s.settings);
  const engine = useAppStore((s) => s.engine);
  const backend = useAppStore((s) => s.backend);
  const camera = useAppStore((s) => s.camera.state);
  const sync = useAppStore((s) => s.sync);
  const transport = useAppStore((s) => s.appInfo?.transport);

  return (
    <header className="status-bar" data-testid="status-bar">
      <strong className="brand">{t('app.title')}</strong>
      <span data-testid="status-agent">
        {t('status.agent')}: {settings?.agentId ?? '—'}
      </span>
      <span data-testid="status-backend" className={`pill backend-${backend.state}`} title={backend.detail ?? backend.url}>
        {t('status.backend')}: {t(`status.backendState.${backend.state}`)}
      </span>
      <span data-testid="status-sync" className={`pill sync-${sync.state}`} title={sync.lastError?.message}>
        {t('status.sync')}: {t(`status.syncState.${sync.state}`, { pending: sync.pending })}
      </span>
      <span data-testid="status-provider" className={`pill engine-${engine.state}`} title={engine.message}>
        {t('status.provider')}: {engine.state === 'ready' && engine.provider ? engine.provider.toUpperCase() : t(`status.engineState.${engine.state}`)}
      </span>
      <span data-testid="status-camera" className={`pill camera-${camera}`}>
        {t('status.camera')}: {t(`camera.${camera}`)}
      </span>
      <span data-testid="status-connection" className={`pill link-${connection}`}>
        {transport ? t(`status.transport.${transport}`) : ''} {t(`status.link.${connection}`)}
      </span>
    </header>
  );
}
