import { BrowserWindow } from 'electron';
import { IPC } from '../../shared/ipc-channels';
import type { Workstation } from '../workstation';
import { attachFramePort } from './frame-port';

export interface AppWindowOptions {
  appUrl: string;
  preloadPath: string;
  workstation: Workstation;
}

/** The app window with Electron's security baseline; frames come back over a MessagePort. */
export function createAppWindow({ appUrl, preloadPath, workstation }: AppWindowOptions): BrowserWindow {
  const window = new BrowserWindow({
    width: 1440,
    height: 900,
    show: false,
    title: 'VeriDesk',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      spellcheck: false,
    },
  });
  const { webContents } = window;

  webContents.on('will-navigate', (event, url) => {
    if (url !== appUrl) event.preventDefault();
  });
  webContents.on('will-redirect', (event) => event.preventDefault());
  webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  webContents.on('will-attach-webview', (event) => event.preventDefault());

  const closeFramePort = attachFramePort(webContents, { appUrl, acceptFrame: (frame) => workstation.acceptFrame(frame) });

  const unsubscribe = workstation.bus.subscribe((event, payload) => {
    if (!webContents.isDestroyed()) webContents.send(IPC.event, event, payload);
  });
  window.on('closed', () => {
    closeFramePort();
    unsubscribe();
  });
  window.once('ready-to-show', () => window.show());

  // app:// (served by app-scheme.ts) or the dev server; never file://, whose origin is shared by every local file
  void window.loadURL(appUrl);
  return window;
}
