/**
 * Camera and microphone for the app's own page only: its origin (app://veridesk, or the dev server in development)
 * and its main frame. The session is a fake that keeps the two handlers restrictPermissions installs.
 */
import { describe, expect, it, vi } from 'vitest';
import { restrictPermissions } from '../../../src/main/app/permissions';

const APP_URL = 'app://veridesk/index.html';
const DEV_URL = 'http://localhost:5173/';

type RequestHandler = (webContents: unknown, permission: string, callback: (granted: boolean) => void, details: { requestingUrl: string; isMainFrame: boolean }) => void;
type CheckHandler = (webContents: unknown, permission: string, requestingOrigin: string, details: { isMainFrame: boolean; embeddingOrigin?: string; requestingUrl?: string }) => boolean;

function install(appUrl: string) {
  let request: RequestHandler | undefined;
  let check: CheckHandler | undefined;
  const session = {
    setPermissionRequestHandler: (handler: RequestHandler) => (request = handler),
    setPermissionCheckHandler: (handler: CheckHandler) => (check = handler),
  } as unknown as Parameters<typeof restrictPermissions>[0];
  restrictPermissions(session, appUrl);
  const requested = (permission: string, requestingUrl: string, isMainFrame = true) => {
    const callback = vi.fn();
    request!(null, permission, callback, { requestingUrl, isMainFrame });
    expect(callback).toHaveBeenCalledOnce();
    return callback.mock.calls[0]![0] as boolean;
  };
  const checked = (permission: string, origin: string, details: { isMainFrame: boolean; embeddingOrigin?: string }) => check!(null, permission, origin, details);
  return { requested, checked };
}

describe('permission requests', () => {
  const { requested } = install(APP_URL);

  it('grants media to the app page main frame, whatever its path or route', () => {
    expect(requested('media', APP_URL)).toBe(true);
    expect(requested('media', 'app://veridesk/index.html#/desk')).toBe(true);
  });

  it.each([
    ['a sub-frame of the app page', 'app://veridesk/index.html', false],
    ['another app:// host', 'app://evil/index.html', true],
    ['the renderer as a file:// page', 'file:///opt/VeriDesk/resources/app.asar/out/renderer/index.html', true],
    ['a remote page', 'https://evil.example/', true],
    ['an opaque data: page', 'data:text/html,x', true],
  ])('refuses media to %s', (_what, url, isMainFrame) => {
    expect(requested('media', url, isMainFrame)).toBe(false);
  });

  it('refuses every other permission, even to the app page', () => {
    for (const permission of ['notifications', 'geolocation', 'display-capture', 'clipboard-read', 'openExternal']) expect(requested(permission, APP_URL), permission).toBe(false);
  });
});

describe('permission checks', () => {
  const { checked } = install(APP_URL);

  it('allows media for the app origin in the main frame, as an origin or as the URL spec Chromium passes', () => {
    expect(checked('media', 'app://veridesk', { isMainFrame: true })).toBe(true);
    expect(checked('media', 'app://veridesk/', { isMainFrame: true, embeddingOrigin: 'app://veridesk/' })).toBe(true);
  });

  it.each([
    // the old check compared with new URL(appUrl).origin, which Node gives as 'null' for app: and file:
    ["an opaque origin ('null')", 'null', { isMainFrame: true }],
    ['file://', 'file:///', { isMainFrame: true, embeddingOrigin: 'file:///' }],
    ['another app:// host', 'app://evil/', { isMainFrame: true }],
    ['a same-origin sub-frame', 'app://veridesk/', { isMainFrame: false, embeddingOrigin: 'app://veridesk/' }],
    ['a page embedded by someone else', 'app://veridesk/', { isMainFrame: true, embeddingOrigin: 'https://evil.example/' }],
    ['a remote origin', 'https://evil.example', { isMainFrame: true }],
  ])('denies media for %s', (_what, origin, details) => {
    expect(checked('media', origin, details)).toBe(false);
  });

  it('denies other permissions to the app origin', () => {
    expect(checked('notifications', 'app://veridesk', { isMainFrame: true })).toBe(false);
  });
});

describe('in development', () => {
  const { requested, checked } = install(DEV_URL);

  it('trusts the dev server origin and nothing else', () => {
    expect(requested('media', 'http://localhost:5173/#/desk')).toBe(true);
    expect(checked('media', 'http://localhost:5173', { isMainFrame: true })).toBe(true);
    expect(requested('media', 'http://localhost:5174/')).toBe(false);
    expect(requested('media', APP_URL)).toBe(false);
    expect(checked('media', 'null', { isMainFrame: true })).toBe(false);
  });
});
