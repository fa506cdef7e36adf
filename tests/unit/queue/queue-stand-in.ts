/**
 * A stand-in queue backend for the workstation's tests: node:http on 127.0.0.1 that answers the agent's queue
 * routes from a script (one seat, one offer at a time), records every request with its Authorization header, and
 * passes the signaling WebSocket through to a real backend (buildServer), where the accept makes a real room for the
 * case. So the call a test starts from an accepted offer runs on real signaling, and a test customer can join it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { AcceptedOffer, AgentState, AgentStatus, Offer } from '../../../src/shared/queue';
import { createRoom } from '../../../src/main/call/room-client';

export interface StandInRequest {
  method: string;
  path: string;
  authorization: string | null;
  body: unknown;
  at: number;
}

export interface QueueStandIn {
  url: string;
  origin: string;
  requests: StandInRequest[];
  /** The offer the seat gets while ready (null: none). */
  offer: Offer | null;
  /** The reference photo the accept answers with. */
  referencePhoto: AcceptedOffer['referencePhoto'];
  /** Rooms made at accept: the customer's join URL (its fragment is the secret) by request id. */
  rooms: Map<string, { roomId: string; joinUrl: string; caseId: string }>;
  /** Answers an accept with this refusal instead (e.g. 409 OFFER_GONE). */
  refuseAccept: { status: number; code: string } | null;
  state(): AgentState;
  close(): Promise<void>;
}

const json = (response: ServerResponse, status: number, body: unknown): void => {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
};

export async function startQueueStandIn(realBackendUrl: string): Promise<QueueStandIn> {
  const real = new URL(realBackendUrl);
  let state: AgentState = 'offline';
  let agentId: string | null = null;
  const standIn: QueueStandIn = {
    url: '',
    origin: '',
    requests: [],
    offer: null,
    referencePhoto: null,
    rooms: new Map(),
    refuseAccept: null,
    state: () => state,
    close: async () => undefined,
  };
  const status = (): AgentStatus => ({ agentId, state, reason: null, skills: ['transact', 'operate'], offer: state === 'ready' ? standIn.offer : null, waiting: standIn.offer ? 1 : 0, serverTime: Date.now() });

  const answer = async (request: StandInRequest, raw: IncomingMessage, response: ServerResponse) => {
    const { method, path } = request;
    if (path === '/api/v1/queue/agent' && method === 'PUT') {
      const body = request.body as { state: AgentState; agentId: string };
      state = body.state;
      agentId = body.agentId;
      return json(response, 200, status());
    }
    if (path === '/api/v1/queue/agent' && method === 'GET') return json(response, 200, status());
    const accept = /^\/api\/v1\/queue\/offers\/([^/]+)\/accept$/.exec(path);
    if (accept && method === 'POST') {
      const offer = standIn.offer;
      if (standIn.refuseAccept) return json(response, standIn.refuseAccept.status, { error: { code: standIn.refuseAccept.code, message: 'scripted refusal' } });
      if (!offer || offer.requestId !== decodeURIComponent(accept[1]!)) return json(response, 409, { error: { code: 'OFFER_GONE', message: 'the offer passed on' } });
      const { caseId } = request.body as { caseId: string };
      // a real room on the real backend, owned by the same workstation token
      const room = await createRoom({ backendUrl: realBackendUrl, token: (raw.headers.authorization ?? '').replace(/^Bearer /, ''), caseId });
      standIn.rooms.set(offer.requestId, { roomId: room.roomId, joinUrl: room.joinUrl, caseId });
      standIn.offer = null;
      state = 'busy';
      const accepted: AcceptedOffer = { requestId: offer.requestId, roomId: room.roomId, caseId, expiresAt: room.expiresAt, offer, referencePhoto: standIn.referencePhoto };
      return json(response, 200, accepted);
    }
    const decline = /^\/api\/v1\/queue\/offers\/([^/]+)\/decline$/.exec(path);
    if (decline && method === 'POST') {
      standIn.offer = null;
      return json(response, 200, { ok: true });
    }
    if (/^\/api\/v1\/queue\/requests\/[^/]+\/finish$/.test(path) && method === 'POST') return json(response, 200, { ok: true });
    return json(response, 404, { error: { code: 'NOT_FOUND', message: 'no such endpoint' } });
  };

  const server: Server = createServer((raw, response) => {
    const chunks: Buffer[] = [];
    raw.on('data', (c: Buffer) => chunks.push(c));
    raw.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : null;
      } catch {
        body = text;
      }
      const request: StandInRequest = { method: raw.method ?? 'GET', path: raw.url ?? '/', authorization: raw.headers.authorization ?? null, body, at: Date.now() };
      standIn.requests.push(request);
      answer(request, raw, response).catch((error: unknown) => json(response, 500, { error: { code: 'INTERNAL', message: String(error) } }));
    });
  });
  // the signaling WebSocket: the upgrade request is replayed to the real backend and both sockets are joined
  server.on('upgrade', (raw: IncomingMessage, socket, head) => {
    const upstream = connect(Number(real.port), real.hostname, () => {
      const lines = [`${raw.method} ${raw.url} HTTP/1.1`];
      for (let i = 0; i < raw.rawHeaders.length; i += 2) lines.push(`${raw.rawHeaders[i]}: ${raw.rawHeaders[i + 1]}`);
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  standIn.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  standIn.origin = new URL(standIn.url).origin;
  standIn.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return standIn;
}
