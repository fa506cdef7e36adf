import type { EventName, EventPayload, MethodInput, MethodName, MethodOutput, VeriDeskApi, WireMessage } from '../../../shared/contract';
import type { Result } from '../../../shared/errors';

export type ConnectionState = 'connecting' | 'open' | 'closed';

/** Frames queued in the socket beyond this are dropped at the source: only the newest frames matter. */
const MAX_BUFFERED_FRAME_BYTES = 2 * 1024 * 1024;
const RECONNECT_MS = [250, 500, 1000, 2000, 5000];

/** The contract over the headless host's WebSocket, with reconnects. */
export function createWebSocketApi(url: string, onState: (state: ConnectionState) => void, protocols: string[] = []): VeriDeskApi {
  let socket: WebSocket;
  let nextId = 1;
  let attempt = 0;
  const pending = new Map<number, (result: Result<unknown>) => void>();
  const listeners = new Map<EventName, Set<(payload: unknown) => void>>();

  const connect = () => {
    onState('connecting');
    socket = new WebSocket(url, protocols);
    socket.binaryType = 'arraybuffer';
    socket.onopen = () => {
      attempt = 0;
      onState('open');
    };
    socket.onmessage = (message) => {
      if (typeof message.data !== 'string') return;
      const wire = JSON.parse(message.data) as WireMessage;
      if (wire.kind === 'response') {
        pending.get(wire.id)?.(wire.result);
        pending.delete(wire.id);
      } else if (wire.kind === 'event') {
        listeners.get(wire.event)?.forEach((listener) => listener(wire.payload));
      } else {
        console.warn('veridesk transport error', wire.error.code);
      }
    };
    socket.onclose = () => {
      onState('closed');
      for (const resolve of pending.values()) resolve({ ok: false, error: { code: 'UNAVAILABLE', message: 'connection closed' } });
      pending.clear();
      setTimeout(connect, RECONNECT_MS[Math.min(attempt++, RECONNECT_MS.length - 1)]);
    };
  };
  connect();

  return {
    invoke<M extends MethodName>(method: M, params: MethodInput<M>) {
      return new Promise<Result<MethodOutput<M>>>((resolve) => {
        if (socket.readyState !== WebSocket.OPEN) {
          resolve({ ok: false, error: { code: 'UNAVAILABLE', message: 'not connected' } });
          return;
        }
        const id = nextId++;
        pending.set(id, resolve as (result: Result<unknown>) => void);
        socket.send(JSON.stringify({ id, method, params }));
      });
    },
    on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void) {
      const set = listeners.get(event) ?? new Set();
      listeners.set(event, set);
      const wrapped = listener as (payload: unknown) => void;
      set.add(wrapped);
      return () => set.delete(wrapped);
    },
    sendFrame(frame: ArrayBuffer) {
      if (socket.readyState === WebSocket.OPEN && socket.bufferedAmount < MAX_BUFFERED_FRAME_BYTES) socket.send(frame);
    },
  };
}
