/**
 * A stand-in backend on 127.0.0.1 (node:http, a real socket and port: another port is another origin) that
 * records every request with its Authorization header, and answers like the sync API unless told otherwise.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  authorization: string | null;
  body: unknown;
  at: number;
  /** The client went away before the answer (an aborted request). */
  aborted: boolean;
}

export type Handler = (request: RecordedRequest, response: ServerResponse, raw: IncomingMessage) => void | Promise<void>;

export interface FakeBackend {
  url: string;
  origin: string;
  requests: RecordedRequest[];
  /** Replaces the answer for the following requests (default: the sync API's happy path). */
  handle(handler: Handler | null): void;
  close(): Promise<void>;
}

export const json = (response: ServerResponse, status: number, body: unknown): void => {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
};

/** The sync API's happy path: every batch accepted, no reviews; /health up; anything else 404. */
export const acceptAll: Handler = (request, response) => {
  if (request.path === '/health') return json(response, 200, { ok: true });
  if (request.method === 'POST' && request.path === '/api/v1/sync/batches') {
    const body = request.body as { events?: unknown[]; checkpoint?: { gseq: number; ledgerHash: string } };
    return json(response, 200, {
      batchId: `b-${request.at}`,
      accepted: body.events?.length ?? 0,
      duplicates: 0,
      cases: [],
      checkpoint: body.checkpoint ? { gseq: body.checkpoint.gseq, ledgerHash: body.checkpoint.ledgerHash } : null,
    });
  }
  if (request.method === 'GET' && request.path.startsWith('/api/v1/sync/changes')) {
    const since = Number(new URL(request.path, 'http://x').searchParams.get('since') ?? 0);
    return json(response, 200, { reviews: [], cursor: since });
  }
  return json(response, 404, { error: { code: 'NOT_FOUND', message: 'no such endpoint' } });
};

function parseBody(text: string): unknown {
  try {
    return text ? (JSON.parse(text) as unknown) : null;
  } catch {
    return text;
  }
}

export async function startFakeBackend(initial: Handler = acceptAll): Promise<FakeBackend> {
  let handler: Handler = initial;
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((raw, response) => {
    const chunks: Buffer[] = [];
    raw.on('data', (c: Buffer) => chunks.push(c));
    raw.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const body = parseBody(text);
      const request: RecordedRequest = { method: raw.method ?? 'GET', path: raw.url ?? '/', authorization: raw.headers.authorization ?? null, body, at: Date.now(), aborted: false };
      requests.push(request);
      response.on('close', () => {
        if (!response.writableFinished) request.aborted = true;
      });
      void Promise.resolve(handler(request, response, raw)).catch(() => response.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    origin: new URL(url).origin,
    requests,
    handle: (next) => (handler = next ?? acceptAll),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
