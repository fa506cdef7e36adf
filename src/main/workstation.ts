import { join } from 'node:path';
import type { AppInfo, EngineStatus } from '../shared/contract';
import { BackendProbe } from './backend/backend-probe';
import { FrameDiagnostics } from './frames/frame-diagnostics';
import type { Logger } from './log/logger';
import { createDispatcher, type Dispatch, type Handlers } from './rpc/dispatcher';
import { EventBus } from './rpc/event-bus';
import { SettingsService } from './settings/settings-service';

export interface WorkstationOptions {
  /** Folder for settings and local data (Electron: app.getPath('userData')). */
  dataDir: string;
  transport: AppInfo['transport'];
  version: string;
  log: Logger;
}

export interface Workstation {
  bus: EventBus;
  dispatch: Dispatch;
  /** Entry point of the frame channel for every transport. */
  acceptFrame(message: ArrayBuffer | Uint8Array): boolean;
  close(): Promise<void>;
}

const STATS_INTERVAL_MS = 1000;

/** Builds every main-side service and the contract's handlers; shared by the Electron app and the headless host. */
export async function createWorkstation(options: WorkstationOptions): Promise<Workstation> {
  const { log } = options;
  const bus = new EventBus();
  const settings = new SettingsService({
    path: join(options.dataDir, 'settings.json'),
    log,
    onChange: (next) => {
      bus.emit('settings.changed', next);
      void backend.check();
    },
  });
  await settings.load();
  const backend = new BackendProbe({ url: () => settings.get().backendUrl, onChange: (status) => bus.emit('backend.status', status) });
  backend.start();
  const frames = new FrameDiagnostics(log);
  const engineStatus: EngineStatus = { state: 'stopped', provider: null, restarts: 0 };
  const startedAt = Date.now();

  const statsTimer = setInterval(() => {
    const streams = frames.snapshot();
    if (streams.length > 0) bus.emit('diagnostics.streams', streams);
  }, STATS_INTERVAL_MS);
  statsTimer.unref();

  const handlers: Handlers = {
    'app.info': () => ({
      version: options.version,
      platform: process.platform,
      transport: options.transport,
      startedAt,
      notices: settings.notices(),
    }),
    'settings.get': () => settings.get(),
    'settings.update': (patch) => settings.update(patch),
    'diagnostics.streams': () => frames.snapshot(),
    'engine.status': () => engineStatus,
    'backend.status': () => backend.current(),
  };

  return {
    bus,
    dispatch: createDispatcher(handlers, log),
    acceptFrame: (message) => frames.accept(message),
    close: async () => {
      clearInterval(statsTimer);
      backend.stop();
    },
  };
}
