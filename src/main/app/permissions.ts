import type { Session } from 'electron';
import { isTrustedSender } from './trusted-sender';

const ALLOWED = new Set(['media']);

/** Camera/microphone only for the app's own page; every other permission is denied. */
export function restrictPermissions(session: Session, appUrl: string): void {
  session.setPermissionRequestHandler((_webContents, permission, callback, details) => {
    callback(ALLOWED.has(permission) && isTrustedSender({ url: details.requestingUrl, isMainFrame: details.isMainFrame }, appUrl));
  });
  session.setPermissionCheckHandler((_webContents, permission, requestingOrigin) => {
    if (!ALLOWED.has(permission)) return false;
    return isTrustedSender({ url: requestingOrigin, isMainFrame: true }, appUrl) || new URL(appUrl).origin === requestingOrigin;
  });
}
