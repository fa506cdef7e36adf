/**
 * The Electron app's start-up rules (issue 10 item 5), as plain functions over the few Electron calls they need,
 * so each is unit-tested without the Electron binary:
 *  - a packaged app loads only its own renderer, from app://veridesk: ELECTRON_RENDERER_URL (electron-vite's dev
 *    server) is ignored;
 *  - a second instance exits at once, before it opens the case log, and the first one comes to the front;
 *  - a start-up failure (e.g. the OS keystore is unavailable) shows an error box and exits non-zero, instead of
 *    an unhandled rejection and a window that never appears.
 */
import { resolve } from 'node:path';
import { APP_INDEX_URL } from './app-protocol';

export function rendererUrl(options: { isPackaged: boolean; env: NodeJS.ProcessEnv }): string {
  const dev = options.env.ELECTRON_RENDERER_URL;
  if (dev && !options.isPackaged) return dev;
  return APP_INDEX_URL;
}

/** The built renderer folder app:// serves: out/renderer beside out/main (inside app.asar when packaged). */
export function rendererRoot(mainDir: string): string {
  return resolve(mainDir, '../renderer');
}

interface InstanceApp {
  requestSingleInstanceLock(): boolean;
  exit(code?: number): void;
  on(event: 'second-instance', listener: () => void): unknown;
}

/** True when this is the only instance; a second one exits now (code 0) and the first one is shown. */
export function claimSingleInstance(app: InstanceApp, showExisting: () => void): boolean {
  if (!app.requestSingleInstanceLock()) {
    app.exit(0);
    return false;
  }
  app.on('second-instance', showExisting);
  return true;
}

interface FailApp {
  exit(code?: number): void;
}
interface ErrorBox {
  showErrorBox(title: string, content: string): void;
}

/** Runs the start-up; a failure is logged, shown to the agent (in Chinese, with the reason) and ends the app with 1. */
export async function startOrExit(start: () => Promise<void>, app: FailApp, dialog: ErrorBox, log: { error(obj: object, msg: string): void }): Promise<boolean> {
  try {
    await start();
    return true;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    log.error({ err: reason }, 'VeriDesk could not start');
    dialog.showErrorBox('VeriDesk 无法启动', `启动失败：${reason}\n\n请联系技术支持。（VeriDesk could not start.）`);
    app.exit(1);
    return false;
  }
}
