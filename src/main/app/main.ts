import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { app, session } from 'electron';
import { createLogger } from '../log/logger';
import { backendTokenFromEnv, createWorkstation } from '../workstation';
import { utilityChannel } from './engine-utility-channel';
import { registerIpc } from './ipc';
import { SafeStorageKeyProvider } from './safe-storage-key-provider';
import { restrictPermissions } from './permissions';
import { createAppWindow } from './window';

const log = createLogger('veridesk');
const appUrl = process.env.ELECTRON_RENDERER_URL ?? pathToFileURL(join(import.meta.dirname, '../renderer/index.html')).href;

app.enableSandbox();
if (!app.requestSingleInstanceLock()) app.quit();

app.on('web-contents-created', (_event, contents) => {
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('will-navigate', (event, url) => url !== appUrl && event.preventDefault());
});

void app.whenReady().then(async () => {
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
    // one token for sync and calls; main keeps it, the renderer never sees it
    backendToken: backendTokenFromEnv(),
  });
  restrictPermissions(session.defaultSession, appUrl);
  registerIpc(workstation, appUrl, log);
  createAppWindow({ appUrl, preloadPath: join(import.meta.dirname, '../preload/index.cjs'), workstation });

  app.on('window-all-closed', () => {
    void workstation.close().finally(() => app.quit());
  });
});
