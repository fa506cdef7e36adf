import { join } from 'node:path';
import type { AppInfo, EngineStatus } from '../shared/contract';
import { BackendProbe } from './backend/backend-probe';
import { CaseStore } from './caselog/store';
import type { KeyProvider } from './caselog/key-provider';
import { EngineService } from './engine/service';
import { CaseSync } from './sync/case-sync';
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
  /** Face models folder; `null` runs without the engine (status 'stopped'). Default: the repo's models/. */
  modelsDir?: string | null;
  /** Protects the case log's data key (Electron: safeStorage; host: a 0600 key file). */
  keyProvider: KeyProvider;
  /** Workstation API token for the backend; without one, sync is 'disabled'. */
  syncToken?: string;
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
      sync.connect(next.backendUrl);
    },
  });
  await settings.load();
  const cases = CaseStore.open({ path: join(options.dataDir, 'cases.db'), keyProvider: options.keyProvider });
  const sync = new CaseSync({ store: cases, token: options.syncToken, log, onStatus: (status) => bus.emit('sync.status', status) });
  sync.connect(settings.get().backendUrl);
  const backend = new BackendProbe({ url: () => settings.get().backendUrl, onChange: (status) => bus.emit('backend.status', status) });
  backend.start();
  const frames = new FrameDiagnostics(log);
  const engine = options.modelsDir === null ? null : startEngine(options, bus, frames);
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
    'engine.status': () => engine?.status() ?? STOPPED,
    'backend.status': () => backend.current(),
    'cases.list': (filter) => cases.listCases(filter),
    'sync.status': () => sync.status(),
  };

  return {
    bus,
    dispatch: createDispatcher(handlers, log),
    acceptFrame: (message) => frames.accept(message),
    close: async () => {
      clearInterval(statsTimer);
      backend.stop();
      await engine?.stop();
      await sync.stop();
      cases.close();
    },
  };
}

const STOPPED: EngineStatus = { state: 'stopped', provider: null, restarts: 0 };

/**
 * Starts the face engine in its worker and connects it: consumed frames go to its mailbox, its status
 * goes to the UI. A failed model load or a worker crash never throws here: the engine restarts itself
 * and the status (and a notice) tell the agent.
 */
function startEngine(options: WorkstationOptions, bus: EventBus, frames: FrameDiagnostics): EngineService {
  const engine = new EngineService({ logger: options.log, modelsDir: options.modelsDir ?? undefined });
  let restarts = 0;
  engine.onStatus((status) => {
    bus.emit('engine.status', status);
    if (status.restarts > restarts) bus.emit('app.notice', { level: 'warning', code: 'UNAVAILABLE', key: 'engineRestarted', detail: status.message });
    restarts = status.restarts;
  });
  frames.onFrame((frame) => engine.submitFrame(frame));
  engine.start().catch((error: unknown) => options.log.error({ err: (error as Error).message }, 'face engine unavailable'));
  return engine;
}
