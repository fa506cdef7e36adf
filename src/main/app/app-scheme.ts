/**
 * Electron's side of app://: the two calls, kept apart from the resolver so that stays plain Node.
 * The scheme must be registered as privileged before 'ready' (Chromium fixes its scheme table then);
 * the handler is installed after 'ready' and before the window loads.
 */
import { protocol, type Protocol } from 'electron';
import { APP_SCHEME, createAppProtocolHandler, type AppProtocolOptions } from './app-protocol';

/**
 * standard: relative URLs and a tuple origin (app://veridesk) like https; secure: a secure context, which
 * getUserMedia needs; supportFetchAPI and codeCache: fetch() of own assets and V8's code cache, as for http;
 * stream: a <video> plays (and seeks with Range requests) a streamed response, the case page's recordings.
 * No corsEnabled and no bypassCSP: nothing else should read from this scheme, and the page keeps its CSP.
 */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true, stream: true } }]);
}

/** Serves `root` (out/renderer) on app:// for the session the app window uses, and the recordings' media route. */
export function serveAppScheme(sessionProtocol: Pick<Protocol, 'handle'>, root: string, media?: AppProtocolOptions['media'], backendMedia?: AppProtocolOptions['backendMedia']): void {
  sessionProtocol.handle(APP_SCHEME, createAppProtocolHandler({ root, media, backendMedia }));
}
