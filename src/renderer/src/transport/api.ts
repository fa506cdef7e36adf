import type { VeriDeskApi } from '../../../shared/contract';
import { createWebSocketApi, type ConnectionState } from './ws-client';

declare global {
  interface Window {
    /** Exposed by the Electron preload; absent when the app runs in a browser through the headless host. */
    veridesk?: VeriDeskApi;
  }
}

/** The renderer never knows which transport it talks to: Electron IPC when present, else the host's WebSocket. */
export function connectApi(onState: (state: ConnectionState) => void): VeriDeskApi {
  if (window.veridesk) {
    onState('open');
    return window.veridesk;
  }
  const protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const secret = hostLaunchSecret();
  return createWebSocketApi(`${protocol}//${location.host}/ws`, onState, secret ? ['veridesk.v1', `k.${secret}`] : ['veridesk.v1']);
}

const SECRET_KEY = 'veridesk.hostSecret';

/**
 * The headless host's launch secret: it comes in the printed URL's fragment (#k=…), is kept for this tab's
 * reloads in sessionStorage, and leaves the address bar at once (not in history, not in a shared screenshot).
 */
export function hostLaunchSecret(): string | null {
  const match = /(?:^#|&)k=([A-Za-z0-9_-]{16,128})(?:&|$)/.exec(location.hash);
  if (match) {
    try {
      sessionStorage.setItem(SECRET_KEY, match[1]!);
    } catch {
      // storage disabled: the secret works for this page load only
    }
    history.replaceState(null, '', location.pathname + location.search);
    return match[1]!;
  }
  try {
    return sessionStorage.getItem(SECRET_KEY);
  } catch {
    return null;
  }
}
