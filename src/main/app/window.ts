import { join } from 'node:path';
import { BrowserWindow, MessageChannelMain } from 'electron';
import { IPC } from '../../shared/ipc-channels';
import type { Workstation } from '../workstation';

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

  webContents.on('did-finish-load', () => {
    const { port1, port2 } = new MessageChannelMain();
    port1.on('message', ({ data }) => {
      if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) workstation.acceptFrame(data as ArrayBuffer);
    });
    port1.start();
    webContents.postMessage(IPC.framePort, null, [port2]);
  });

  const unsubscribe = workstation.bus.subscribe((event, payload) => {
    if (!webContents.isDestroyed()) webContents.send(IPC.event, event, payload);
  });
  window.on('closed', unsubscribe);
  window.once('ready-to-show', () => window.show());

  if (appUrl.startsWith('file:')) void window.loadFile(join(new URL(appUrl).pathname));
  else void window.loadURL(appUrl);
  return window;
}
