import type { WebSocket, RawData } from 'ws';
import { MAX_REQUEST_BYTES, WireRequestSchema, type WireMessage } from '../../shared/contract';
import { fail } from '../../shared/errors';
import type { Logger } from '../log/logger';
import type { Workstation } from '../workstation';

/** Largest event backlog (bytes) a slow client may accumulate before events to it are skipped. */
const MAX_BUFFERED_EVENT_BYTES = 4 * 1024 * 1024;

/**
 * The WebSocket transport of the contract: text messages carry requests, responses and events;
 * binary messages carry frames. Every message is validated; a bad one is answered with an error
 * and never affects other clients.
 */
export function serveWorkstationSocket(socket: WebSocket, workstation: Workstation, log: Logger): void {
  const send = (message: WireMessage) => {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
  };

  const unsubscribe = workstation.bus.subscribe((event, payload) => {
    if (socket.bufferedAmount > MAX_BUFFERED_EVENT_BYTES) return;
    send({ kind: 'event', event, payload });
  });

  socket.on('message', (data: RawData, isBinary: boolean) => {
    const bytes = toBytes(data);
    if (isBinary) {
      if (!workstation.acceptFrame(bytes)) send({ kind: 'error', error: { code: 'MALFORMED_MESSAGE', message: 'invalid frame message' } });
      return;
    }
    if (bytes.byteLength > MAX_REQUEST_BYTES) {
      send({ kind: 'error', error: { code: 'PAYLOAD_TOO_LARGE', message: `request larger than ${MAX_REQUEST_BYTES} bytes` } });
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(Buffer.from(bytes).toString('utf8'));
    } catch {
      send({ kind: 'error', error: { code: 'MALFORMED_MESSAGE', message: 'request is not valid JSON' } });
      return;
    }
    const request = WireRequestSchema.safeParse(json);
    if (!request.success) {
      const id = typeof (json as { id?: unknown })?.id === 'number' ? (json as { id: number }).id : undefined;
      const error = fail('MALFORMED_MESSAGE', 'request must be {id, method, params}');
      if (id !== undefined && Number.isInteger(id) && id >= 0) send({ kind: 'response', id, result: error });
      else send({ kind: 'error', error: error.error });
      return;
    }
    const { id, method, params } = request.data;
    void workstation.dispatch(method, params).then((result) => send({ kind: 'response', id, result }));
  });

  socket.on('error', (error) => log.warn({ err: error.message }, 'websocket client error'));
  socket.on('close', () => unsubscribe());
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return data;
}
