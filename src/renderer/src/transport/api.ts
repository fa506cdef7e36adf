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
  return createWebSocketApi(`${protocol}//${location.host}/ws`, onState);
}
