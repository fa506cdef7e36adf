import { join } from 'node:path';
import { app, BrowserWindow, dialog, session } from 'electron';
import { createLogger } from '../log/logger';
import { backendTokenFromEnv, createWorkstation } from '../workstation';
import { utilityChannel } from './engine-utility-channel';
import { registerIpc } from './ipc';
import { SafeStorageKeyProvider } from './safe-storage-key-provider';
import { SafeStorageSecretStore } from './safe-storage-secret-store';
import { registerAppScheme, serveAppScheme } from './app-scheme';
import { restrictPermissions } from './permissions';
import { claimSingleInstance, rendererRoot, rendererUrl, startOrExit } from './startup';
import { createAppWindow } from './window';

const log = createLogger('veridesk');
const appUrl = rendererUrl({ isPackaged: app.isPackaged, env: process.env });

app.enableSandbox();
// Chromium reads its scheme table once, at 'ready': app:// must be privileged before that
registerAppScheme();
// a second instance exits here, before anything opens the case log; the first one comes to the front
const first = claimSingleInstance(app, () => {
  const window = BrowserWindow.getAllWindows()[0];
  if (window?.isMinimized()) window.restore();
  window?.focus();
});

app.on('web-contents-created', (_event, contents) => {
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('will-navigate', (event, url) => url !== appUrl && event.preventDefault());
});

if (first) void app.whenReady().then(() => startOrExit(start, app, dialog, log));

async function start(): Promise<void> {
  const workstation = await createWorkstation({
    dataDir: app.getPath('userData'),
    transport: 'electron',
    version: app.getVersion(),
    log,
    // packaged: models ship beside the asar (electron-builder.yml extraResources)
    modelsDir: app.isPackaged ? join(process.resourcesPath, 'models') : undefined,
    scriptsDir: app.isPackaged ? join(process.resourcesPath, 'scripts') : undefined,
    // the face engine in a utilityProcess: a native fault in a GPU driver ends it, not the app
    engineChannel: utilityChannel,
    keyProvider: new SafeStorageKeyProvider(join(app.getPath('userData'), 'case-log.key.enc')),
    // the backend token is entered in 设置 and kept by the OS keystore, under the backend origin it was entered
    // for; main keeps it, the renderer never sees it. The environment variable is for the headless host and
    // development only: a packaged app ignores it.
    secretStore: new SafeStorageSecretStore(join(app.getPath('userData'), 'backend-secrets.enc.json'), log),
    backendToken: app.isPackaged ? undefined : backendTokenFromEnv(),
  });
  // the app window uses the default session; the handler has to be there before the window loads app://
  serveAppScheme(session.defaultSession.protocol, rendererRoot(import.meta.dirname), workstation.media, workstation.backendMedia);
  restrictPermissions(session.defaultSession, appUrl);
  registerIpc(workstation, appUrl, log);
  createAppWindow({ appUrl, preloadPath: join(import.meta.dirname, '../preload/index.cjs'), workstation });

  app.on('window-all-closed', () => {
    void workstation.close().finally(() => app.quit());
  });
}
