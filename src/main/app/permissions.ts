import type { Session } from 'electron';
import { isTrustedSender, originOf } from './trusted-sender';

const ALLOWED = new Set(['media']);

/**
 * Camera/microphone only for the app's own page, and only its main frame; every other permission is denied.
 * Both handlers go through isTrustedSender: a check used to also accept `origin === new URL(appUrl).origin`,
 * which for app:// (and file://) is Node's 'null' and so matched every opaque origin.
 */
export function restrictPermissions(session: Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler'>, appUrl: string): void {
  session.setPermissionRequestHandler((_webContents, permission, callback, details) => {
    callback(ALLOWED.has(permission) && isTrustedSender({ url: details.requestingUrl, isMainFrame: details.isMainFrame }, appUrl));
  });
  session.setPermissionCheckHandler((_webContents, permission, requestingOrigin, details) => {
    if (!ALLOWED.has(permission)) return false;
    // Chromium passes origins here as URL specs ('app://veridesk/'); the top-level page must be ours as well
    if (details.embeddingOrigin !== undefined && originOf(details.embeddingOrigin) !== originOf(appUrl)) return false;
    return isTrustedSender({ url: requestingOrigin, isMainFrame: details.isMainFrame }, appUrl);
  });
}
