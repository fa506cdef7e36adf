/**
 * Decides whether an IPC message comes from the app's own page: the main frame of an app window,
 * loaded from the built renderer (file://…/out/renderer/index.html) or, in development, from the
 * electron-vite dev server origin.
 */
export interface SenderFrame {
  url: string;
  /** True for the top-level frame of the window (no sub-frames, no iframes). */
  isMainFrame: boolean;
}

export function isTrustedSender(frame: SenderFrame | null | undefined, appUrl: string): boolean {
  if (!frame?.isMainFrame) return false;
  let sender: URL;
  let app: URL;
  try {
    sender = new URL(frame.url);
    app = new URL(appUrl);
  } catch {
    return false;
  }
  if (app.protocol === 'file:') return sender.protocol === 'file:' && sender.pathname === app.pathname;
  return sender.origin === app.origin;
}
