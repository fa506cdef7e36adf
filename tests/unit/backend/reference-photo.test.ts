/** The workstation's reference-photo client against the real backend (in-process, PGlite), and against stubs for what the backend never answers. */
import { randomBytes } from 'node:crypto';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildServer } from '../../../server/app';
import { createToken, revokeToken } from '../../../server/auth/tokens';
import { openPglite, type ServerDb } from '../../../server/db/database';
import { migrateServer } from '../../../server/db/migrations';
import { fetchReferencePhoto } from '../../../src/main/backend/reference-photo';
import { silentLogger } from '../../../src/main/log/logger';
import { AppFailure } from '../../../src/shared/errors';

let db: ServerDb;
let app: FastifyInstance;
let backendUrl: string;
let channel: string;
let workstation: string;
let lead: string;

beforeAll(async () => {
  db = await openPglite();
  await migrateServer(db);
  channel = await createToken(db, 'app-1', 'channel');
  workstation = await createToken(db, 'ws-1');
  lead = await createToken(db, 'lead-1', 'lead');
  app = await buildServer({ db, logger: silentLogger, referencePhotos: { serverKeyHex: randomBytes(32).toString('hex') } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  backendUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await app?.close();
  await db?.close();
});

const jpeg = () => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(3000)]);
const png = () => Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(3000)]);

async function store(customerRef: string, bytes: Buffer, type = 'image/jpeg'): Promise<void> {
  const r = await fetch(`${backendUrl}/api/v1/reference-photos/${customerRef}`, { method: 'PUT', headers: { authorization: `Bearer ${channel}`, 'content-type': type }, body: bytes });
  expect(r.status).toBeLessThan(300);
}

async function failureOf(promise: Promise<unknown>): Promise<AppFailure> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppFailure);
  return error as AppFailure;
}

describe('fetchReferencePhoto against the backend', () => {
  it('returns the bytes a channel stored', async () => {
    const bytes = jpeg();
    await store('CUST:0042-a', bytes);
    const photo = await fetchReferencePhoto({ backendUrl, token: workstation, customerRef: 'CUST:0042-a' });
    expect(photo).toBeInstanceOf(Uint8Array);
    expect(Buffer.compare(Buffer.from(photo), bytes)).toBe(0);
    // a lead may read too; a base URL with a trailing slash works
    const second = png();
    await store('cust.b', second, 'image/png');
    expect(Buffer.compare(Buffer.from(await fetchReferencePhoto({ backendUrl: `${backendUrl}/`, token: lead, customerRef: 'cust.b' })), second)).toBe(0);
  });

  it('maps 404 to NOT_FOUND', async () => {
    const f = await failureOf(fetchReferencePhoto({ backendUrl, token: workstation, customerRef: 'never-stored' }));
    expect(f.code).toBe('NOT_FOUND');
    expect(f.message).toBe('no reference photo for this customer reference');
  });

  it('maps a refused token to BACKEND_REFUSED with the backend’s code', async () => {
    await store('cust-c', jpeg());
    const wrongRole = await failureOf(fetchReferencePhoto({ backendUrl, token: channel, customerRef: 'cust-c' }));
    expect(wrongRole.code).toBe('BACKEND_REFUSED');
    expect(wrongRole.message).toMatch(/^FORBIDDEN: /);
    const revoked = await createToken(db, 'ws-revoked');
    await revokeToken(db, 'ws-revoked');
    const gone = await failureOf(fetchReferencePhoto({ backendUrl, token: revoked, customerRef: 'cust-c' }));
    expect(gone.code).toBe('BACKEND_REFUSED');
    expect(gone.message).toMatch(/^UNAUTHENTICATED: /);
  });

  it('refuses a malformed reference without sending anything (it could otherwise change the path)', async () => {
    const fetchImpl = vi.fn<typeof fetch>();
    for (const customerRef of ['', '../sync/batches', 'a/b', '..', '.', 'x'.repeat(65), 'a b', 'é']) {
      const f = await failureOf(fetchReferencePhoto({ backendUrl, token: workstation, customerRef, fetchImpl }));
      expect(f.code, customerRef).toBe('INVALID_PAYLOAD');
    }
    expect(fetchImpl).not.toHaveBeenCalled();
  });

  it('maps an unreachable backend to UNAVAILABLE', async () => {
    const f = await failureOf(fetchReferencePhoto({ backendUrl: 'http://127.0.0.1:1', token: workstation, customerRef: 'cust-c' }));
    expect(f.code).toBe('UNAVAILABLE');
  });
});

describe('fetchReferencePhoto against stubs', () => {
  let stub: Server | undefined;
  afterEach(() => new Promise<void>((done) => (stub ? stub.close(() => done()) : done())));
  const serve = (handler: RequestListener): Promise<string> => {
    stub = createServer(handler);
    return new Promise((resolve) => stub!.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(stub!.address() as AddressInfo).port}`)));
  };
  const answer = (status: number, type: string, body: Buffer | string, headers: Record<string, string> = {}): RequestListener => (_req, res) => {
    res.writeHead(status, { 'content-type': type, ...headers });
    res.end(body);
  };

  it('sends the token and asks under the base path', async () => {
    let seen: { url?: string; auth?: string } = {};
    const url = await serve((req, res) => {
      seen = { url: req.url, auth: req.headers.authorization };
      answer(200, 'image/jpeg', jpeg())(req, res);
    });
    await fetchReferencePhoto({ backendUrl: `${url}/veridesk`, token: 'vd_tok', customerRef: 'A:b.c_d-e' });
    expect(seen).toEqual({ url: '/veridesk/api/v1/reference-photos/A%3Ab.c_d-e', auth: 'Bearer vd_tok' });
  });

  it('maps 502/503/504 to UNAVAILABLE and other statuses to BACKEND_REFUSED', async () => {
    let status = 503;
    const url = await serve((req, res) => answer(status, 'application/json', JSON.stringify({ error: { code: 'UNAVAILABLE', message: 'db down' } }))(req, res));
    for (const s of [502, 503, 504]) {
      status = s;
      expect((await failureOf(fetchReferencePhoto({ backendUrl: url, token: 't', customerRef: 'r' }))).code).toBe('UNAVAILABLE');
    }
    status = 500;
    const f = await failureOf(fetchReferencePhoto({ backendUrl: url, token: 't', customerRef: 'r' }));
    expect(f).toMatchObject({ code: 'BACKEND_REFUSED', message: 'UNAVAILABLE: db down' });
    await new Promise<void>((done) => stub!.close(() => done()));
    const bare = await serve((req, res) => answer(400, 'text/plain', 'nope')(req, res));
    expect((await failureOf(fetchReferencePhoto({ backendUrl: bare, token: 't', customerRef: 'r' }))).message).toBe('HTTP_400: HTTP 400');
  });

  it('refuses an answer that is not the photo it claims to be', async () => {
    for (const handler of [
      answer(200, 'text/html', '<html></html>'),
      answer(200, 'image/gif', Buffer.from('GIF89a....')),
      answer(200, 'image/jpeg', png()),
      answer(200, 'image/jpeg', Buffer.from('<html>not a jpeg</html>')),
    ]) {
      const url = await serve(handler);
      const f = await failureOf(fetchReferencePhoto({ backendUrl: url, token: 't', customerRef: 'r' }));
      expect(f.code).toBe('BACKEND_REFUSED');
      expect(f.message).toMatch(/^MALFORMED_RESPONSE: /);
      await new Promise<void>((done) => stub!.close(() => done()));
      stub = undefined;
    }
  });

  it('refuses a photo over 10 MiB, declared or streamed', async () => {
    const big = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.alloc(10 * 1024 * 1024)]);
    const declared = await serve(answer(200, 'image/jpeg', big));
    expect((await failureOf(fetchReferencePhoto({ backendUrl: declared, token: 't', customerRef: 'r' }))).message).toMatch(/larger than/);
    await new Promise<void>((done) => stub!.close(() => done()));
    const chunked = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'image/jpeg', 'transfer-encoding': 'chunked' });
      res.write(big.subarray(0, 6 * 1024 * 1024));
      res.end(big.subarray(6 * 1024 * 1024));
    });
    expect((await failureOf(fetchReferencePhoto({ backendUrl: chunked, token: 't', customerRef: 'r' }))).message).toMatch(/larger than/);
  });

  it('does not follow a redirect with the token', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' });
      res.end();
    });
    expect(await failureOf(fetchReferencePhoto({ backendUrl: url, token: 't', customerRef: 'r' }))).toMatchObject({ code: 'BACKEND_REFUSED', message: 'HTTP_302: HTTP 302' });
  });

  it('maps a timeout to UNAVAILABLE', async () => {
    const url = await serve(() => undefined);
    const f = await failureOf(fetchReferencePhoto({ backendUrl: url, token: 't', customerRef: 'r', timeoutMs: 100 }));
    expect(f).toMatchObject({ code: 'UNAVAILABLE', message: 'backend unreachable: timed out' });
  });
});
