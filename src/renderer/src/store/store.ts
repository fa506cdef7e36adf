import { create } from 'zustand';
import type { AppInfo, BackendStatus, EngineStatus, Notice, StreamStats } from '../../../shared/contract';
import type { AppError } from '../../../shared/errors';
import type { SyncStatus } from '../../../shared/cases';
import type { Settings } from '../../../shared/settings';
import type { ConnectionState } from '../transport/ws-client';

export type Page = 'workspace' | 'cases' | 'settings';
export type CameraState = 'idle' | 'starting' | 'live' | 'error';

interface ConnectionSlice {
  connection: ConnectionState;
  appInfo: AppInfo | null;
  notices: Notice[];
  lastError: AppError | null;
  setConnection(state: ConnectionState): void;
  setAppInfo(info: AppInfo): void;
  addNotice(notice: Notice): void;
  dismissNotice(index: number): void;
  setLastError(error: AppError | null): void;
}

interface SettingsSlice {
  settings: Settings | null;
  setSettings(settings: Settings): void;
}

interface CameraSlice {
  camera: { state: CameraState; errorKey: string | null; errorDetail: string; devices: MediaDeviceInfo[] };
  setCamera(patch: Partial<CameraSlice['camera']>): void;
}

interface DiagnosticsSlice {
  streams: StreamStats[];
  setStreams(streams: StreamStats[]): void;
}

interface EngineSlice {
  engine: EngineStatus;
  setEngine(status: EngineStatus): void;
}

interface BackendSlice {
  backend: BackendStatus;
  setBackend(status: BackendStatus): void;
}

interface SyncSlice {
  sync: SyncStatus;
  setSync(status: SyncStatus): void;
}

interface NavigationSlice {
  page: Page;
  setPage(page: Page): void;
}

export type AppState = ConnectionSlice & SettingsSlice & CameraSlice & DiagnosticsSlice & EngineSlice & BackendSlice & SyncSlice & NavigationSlice;

export const useAppStore = create<AppState>()((set) => ({
  connection: 'connecting',
  appInfo: null,
  notices: [],
  lastError: null,
  setConnection: (connection) => set({ connection }),
  setAppInfo: (appInfo) => set((state) => ({ appInfo, notices: [...state.notices, ...appInfo.notices] })),
  addNotice: (notice) => set((state) => ({ notices: [...state.notices, notice] })),
  dismissNotice: (index) => set((state) => ({ notices: state.notices.filter((_, i) => i !== index) })),
  setLastError: (lastError) => set({ lastError }),

  settings: null,
  setSettings: (settings) => set({ settings }),

  camera: { state: 'idle', errorKey: null, errorDetail: '', devices: [] },
  setCamera: (patch) => set((state) => ({ camera: { ...state.camera, ...patch } })),

  streams: [],
  setStreams: (streams) => set({ streams }),

  engine: { state: 'stopped', provider: null, restarts: 0 },
  setEngine: (engine) => set({ engine }),

  backend: { state: 'unknown', url: '', checkedAt: 0 },
  setBackend: (backend) => set({ backend }),

  sync: { state: 'disabled', pending: 0, lastSuccessAt: null, lastError: null, nextAttemptAt: null },
  setSync: (sync) => set({ sync }),

  page: 'workspace',
  setPage: (page) => set({ page }),
}));
