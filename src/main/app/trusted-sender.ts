/**
 * Decides whether an IPC message (or a permission request) comes from the app's own page: the main frame of an
 * app window whose origin is the app's own — app://veridesk for the built renderer or, in development, the
 * electron-vite dev server origin.
 */
import { APP_SCHEME } from './app-protocol';

export interface SenderFrame {
  url: string;
  /** True for the top-level frame of the window (no sub-frames, no iframes). */
  isMainFrame: boolean;
}

/**
 * The origin as Chromium serialises it, or null when it is opaque. Node's URL calls every non-special scheme's
 * origin 'null', app: included, so comparing URL.origin would make app://veridesk equal to app://evil, file://,
 * data: and any other opaque origin; here only http(s) and app:// have an origin at all.
 */
export function originOf(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return parsed.origin;
  if (parsed.protocol === `${APP_SCHEME}:` && parsed.hostname !== '' && parsed.username === '' && parsed.password === '') {
    return `${APP_SCHEME}://${parsed.host.toLowerCase()}`;
  }
  return null;
}

export function isTrustedSender(frame: SenderFrame | null | undefined, appUrl: string): boolean {
  if (!frame?.isMainFrame) return false;
  const app = originOf(appUrl);
  return app !== null && originOf(frame.url) === app;
}
