import { useTranslation } from 'react-i18next';
import type { SyncStatus } from '../../../shared/cases';
import type { EngineStatus } from '../../../shared/contract';
import { useAppStore } from '../store/store';
import { QueueStateSelect } from './queue/QueueStateSelect';
import { ShiftControl } from './shift/ShiftControl';

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
      <ShiftControl />
      <QueueStateSelect />
      <span data-testid="status-backend" className={`pill backend-${backend.state}`} title={backend.detail ?? backend.url}>
        {t('status.backend')}: {t(`status.backendState.${backend.state}`)}
      </span>
      <SyncPills sync={sync} />
      <EnginePills engine={engine} />
      <span data-testid="status-camera" className={`pill camera-${camera}`}>
        {t('status.camera')}: {t(`camera.${camera}`)}
      </span>
      <span data-testid="status-connection" className={`pill link-${connection}`}>
        {transport ? t(`status.transport.${transport}`) : ''} {t(`status.link.${connection}`)}
      </span>
    </header>
  );
}

/**
 * Sync: its state (已暂停 when a refusal stopped it, the reason in the tooltip) and, when the backend refused cases
 * one by one, how many are held.
 */
export function SyncPills({ sync }: { sync: SyncStatus }) {
  const { t } = useTranslation();
  const title = sync.state === 'blocked' && sync.lastError ? t('status.syncBlockedDetail', { code: sync.lastError.code, message: sync.lastError.message }) : sync.lastError?.message;
  const held = sync.held ?? 0;
  return (
    <>
      <span data-testid="status-sync" data-state={sync.state} className={`pill sync-${sync.state}`} title={title}>
        {t('status.sync')}: {t(`status.syncState.${sync.state}`, { pending: sync.pending })}
      </span>
      {held > 0 && (
        <span data-testid="status-sync-held" data-held={held} className="pill sync-held" title={t('status.syncHeldDetail')}>
          {t('status.syncHeld', { count: held })}
        </span>
      )}
    </>
  );
}

/**
 * The engine's pills: its state (the provider once ready; 重启中 with the attempt and main's reason in the tooltip)
 * and, while ready but unable to keep up, 分析降级 with the load in the tooltip.
 */
export function EnginePills({ engine }: { engine: EngineStatus }) {
  const { t } = useTranslation();
  // restarting: which attempt this is, then main's reason (e.g. the exit code or the missing model file)
  const title =
    engine.state === 'restarting'
      ? [t('status.engineRestartingDetail', { count: engine.restarts }), engine.message].filter(Boolean).join('\n')
      : engine.state === 'ready' && engine.pid !== undefined
        ? t('status.engineReadyDetail', { pid: engine.pid, load: Math.round((engine.load ?? 0) * 100) })
        : engine.message;
  const degradedTitle =
    engine.load === undefined ? t('status.engineDegradedDetailNoLoad') : t('status.engineDegradedDetail', { load: Math.round(engine.load * 100) });
  return (
    <>
      <span data-testid="status-provider" className={`pill engine-${engine.state}`} title={title}>
        {t('status.provider')}:{' '}
        <span data-testid="engine-state" data-state={engine.state} data-restarts={engine.restarts} data-pid={engine.pid} title={title}>
          {engine.state === 'ready' && engine.provider ? engine.provider.toUpperCase() : t(`status.engineState.${engine.state}`)}
        </span>
      </span>
      {engine.state === 'ready' && engine.degraded && (
        <span data-testid="engine-degraded" className="pill engine-degraded" title={degradedTitle}>
          {t('status.engineDegraded')}
        </span>
      )}
    </>
  );
}
