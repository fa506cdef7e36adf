/**
 * Electron's side of app://: the two calls, kept apart from the resolver so that stays plain Node.
 * The scheme must be registered as privileged before 'ready' (Chromium fixes its scheme table then);
 * the handler is installed after 'ready' and before the window loads.
 */
import { protocol, type Protocol } from 'electron';
import { APP_SCHEME, createAppProtocolHandler } from './app-protocol';

/**
 * standard: relative URLs and a tuple origin (app://veridesk) like https; secure: a secure context, which
 * getUserMedia needs; supportFetchAPI and codeCache: fetch() of own assets and V8's code cache, as for http.
 * No corsEnabled and no bypassCSP: nothing else should read from this scheme, and the page keeps its CSP.
 */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } }]);
}

/** Serves `root` (out/renderer) on app:// for the session the app window uses. */
export function serveAppScheme(sessionProtocol: Pick<Protocol, 'handle'>, root: string): void {
  sessionProtocol.handle(APP_SCHEME, createAppProtocolHandler({ root }));
}
