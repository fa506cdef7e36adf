import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/main/log/logger';
import { buildServer } from '../../../server/app';
import { createToken } from '../../../server/auth/tokens';
import type { ServerDb } from '../../../server/db/database';
import { migrateServer } from '../../../server/db/migrations';
import { customerRefHash, deriveKeys, openPhoto, ReferencePhotoDecryptError } from '../../../server/reference-photos/crypto';
import { isCustomerRef, REFERENCE_PHOTO_LIMITS } from '../../../server/reference-photos/routes';
import { sweepExpiredPhotos } from '../../../server/reference-photos/store';
import { startPostgres } from '../../../server/testing/pg-harness';
import { dbBackends } from './db-backends';

const pgStart = await startPostgres();
afterAll(async () => {
  if (pgStart.ok) await pgStart.cluster.stop();
});

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Bytes that start like a JPEG / PNG / WebP (the server checks the signature, it does not decode). */
const jpeg = (size = 4096) => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(size - 4)]);
const png = (size = 2048) => Buffer.concat([PNG_SIGNATURE, randomBytes(size - 8)]);
const webp = (size = 1024) => {
  const b = randomBytes(size);
  b.write('RIFF', 0, 'latin1');
  b.writeUInt32LE(size - 8, 4);
  b.write('WEBPVP8 ', 8, 'latin1');
  return b;
};
const gif = () => Buffer.concat([Buffer.from('GIF89a', 'latin1'), randomBytes(500)]);
const html = () => Buffer.from('<!doctype html><html><body><script>alert(1)</script></body></html>'.padEnd(300, ' '), 'utf8');

const PATH = '/api/v1/reference-photos';

for (const backend of dbBackends(pgStart)) {
  describe.skipIf(backend.skip !== null)(`reference photos on ${backend.name}${backend.skip ? ` (skipped: ${backend.skip})` : ''}`, () => {
    let db: ServerDb;
    let app: FastifyInstance;
    let channel: string;
    let channel2: string;
    let workstation: string;
    let lead: string;
    const serverKeyHex = randomBytes(32).toString('hex');
    const keys = deriveKeys(Buffer.from(serverKeyHex, 'hex'));
    const logLines: string[] = [];
    let n = 0;
    const newRef = () => `CUST:${backend.name}.${Date.now().toString(36)}-${++n}_${randomBytes(3).toString('hex')}`;

    beforeAll(async () => {
      db = await backend.open();
      await migrateServer(db);
      await migrateServer(db);
      const logger = pino({ level: 'info' }, { write: (line: string) => void logLines.push(line) });
      app = await buildServer({ db, logger, referencePhotos: { serverKeyHex } });
      const tag = randomBytes(3).toString('hex');
      channel = await createToken(db, `app-${tag}`, 'channel');
      channel2 = await createToken(db, `ivr-${tag}`, 'channel');
      workstation = await createToken(db, `ws-${tag}`);
      lead = await createToken(db, `lead-${tag}`, 'lead');
    });
    afterAll(async () => {
      await app?.close();
      await db?.close();
    });

    const auth = (token: string | null): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});
    const put = (ref: string, body: Buffer, contentType: string | null = 'image/jpeg', token: string | null = channel) =>
      app.inject({ method: 'PUT', url: `${PATH}/${ref}`, headers: { ...auth(token), ...(contentType ? { 'content-type': contentType } : {}) }, payload: body });
    const get = (ref: string, token: string | null = workstation) => app.inject({ method: 'GET', url: `${PATH}/${ref}`, headers: auth(token) });
    const del = (ref: string, token: string | null = channel) => app.inject({ method: 'DELETE', url: `${PATH}/${ref}`, headers: auth(token) });
    const rowOf = async (ref: string) =>
      (await db.query<{ customer_ref_hash: string; mime: string; ciphertext: Uint8Array }>('SELECT * FROM reference_photos WHERE customer_ref_hash = $1', [customerRefHash(keys, ref)])).rows[0];
    const countRows = async () => Number((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM reference_photos')).rows[0]!.n);

    it('stores a photo and gives the same bytes back with its type, never cached', async () => {
      const ref = newRef();
      const bytes = jpeg();
      const stored = await put(ref, bytes);
      expect(stored.statusCode).toBe(201);
      expect(stored.json()).toMatchObject({ mime: 'image/jpeg', bytes: bytes.length, replaced: false });
      expect(Date.parse(stored.json().expiresAt)).toBeGreaterThan(Date.now() + 29 * 86_400_000);

      const r = await get(ref);
      expect(r.statusCode).toBe(200);
      expect(r.headers['content-type']).toBe('image/jpeg');
      expect(r.headers['cache-control']).toBe('no-store');
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(Buffer.compare(r.rawPayload, bytes)).toBe(0);

      const byLead = await get(ref, lead);
      expect(byLead.statusCode).toBe(200);
      expect(Buffer.compare(byLead.rawPayload, bytes)).toBe(0);
    });

    it('replaces an earlier photo of the same reference (any channel), keeping one row', async () => {
      const ref = newRef();
      expect((await put(ref, jpeg())).statusCode).toBe(201);
      const second = png();
      const replaced = await put(ref, second, 'image/png', channel2);
      expect(replaced.statusCode).toBe(200);
      expect(replaced.json()).toMatchObject({ mime: 'image/png', replaced: true });
      const r = await get(ref);
      expect(r.headers['content-type']).toBe('image/png');
      expect(Buffer.compare(r.rawPayload, second)).toBe(0);
      const third = webp();
      expect((await put(ref, third, 'image/webp; charset=binary')).statusCode).toBe(200);
      const w = await get(ref);
      expect(w.headers['content-type']).toBe('image/webp');
      expect(Buffer.compare(w.rawPayload, third)).toBe(0);
      const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM reference_photos WHERE customer_ref_hash = $1', [customerRefHash(keys, ref)]);
      expect(rows[0]!.n).toBe(1);
    });

    it('keeps neither the reference nor the image in the table', async () => {
      const ref = newRef();
      const bytes = jpeg(8192);
      expect((await put(ref, bytes)).statusCode).toBe(201);
      const { rows } = await db.query<Record<string, unknown>>('SELECT * FROM reference_photos');
      const row = rows.find((r) => r.customer_ref_hash === customerRefHash(keys, ref))!;
      expect(row).toBeDefined();
      expect(row.customer_ref_hash).toMatch(/^[0-9a-f]{64}$/);
      const ciphertext = Buffer.from(row.ciphertext as Uint8Array);
      expect(ciphertext.equals(bytes)).toBe(false);
      expect(ciphertext.length).toBe(bytes.length + 1 + 12 + 16);
      // no 16-byte run of the image survives, and the reference is nowhere: not in a column, not in the blob
      for (let at = 0; at + 16 <= bytes.length; at += 512) expect(ciphertext.indexOf(bytes.subarray(at, at + 16))).toBe(-1);
      expect(ciphertext.indexOf(Buffer.from(ref))).toBe(-1);
      for (const r of rows) {
        for (const value of Object.values(r)) {
          const text = value instanceof Uint8Array ? Buffer.from(value).toString('latin1') : String(value);
          expect(text.includes(ref)).toBe(false);
        }
      }
    });

    it('does not decrypt a ciphertext moved to another reference, nor one whose type was changed', async () => {
      const a = newRef();
      const b = newRef();
      const photoA = jpeg();
      expect((await put(a, photoA)).statusCode).toBe(201);
      expect((await put(b, jpeg())).statusCode).toBe(201);
      const rowA = (await rowOf(a))!;
      await db.query('UPDATE reference_photos SET ciphertext = $1 WHERE customer_ref_hash = $2', [Buffer.from(rowA.ciphertext), customerRefHash(keys, b)]);
      expect(() => openPhoto(keys, b, 'image/jpeg', rowA.ciphertext)).toThrow(ReferencePhotoDecryptError);
      expect(Buffer.compare(openPhoto(keys, a, 'image/jpeg', rowA.ciphertext), photoA)).toBe(0);

      const moved = await get(b);
      expect(moved.statusCode).toBe(500);
      expect(moved.json().error.code).toBe('INTERNAL');
      expect(moved.rawPayload.indexOf(photoA.subarray(0, 32))).toBe(-1);

      await db.query("UPDATE reference_photos SET mime = 'image/png' WHERE customer_ref_hash = $1", [customerRefHash(keys, a)]);
      expect((await get(a)).statusCode).toBe(500);
      // another server key cannot read it either
      expect(() => openPhoto(deriveKeys(randomBytes(32)), a, 'image/jpeg', rowA.ciphertext)).toThrow(ReferencePhotoDecryptError);
    });

    it('answers 401 without a token and 403 for the wrong role, storing nothing', async () => {
      const ref = newRef();
      const before = await countRows();
      for (const [token, status] of [
        [null, 401],
        ['vd_not-a-real-token-at-all', 401],
        [workstation, 403],
        [lead, 403],
      ] as const) {
        const r = await put(ref, jpeg(), 'image/jpeg', token);
        expect(r.statusCode, String(token)).toBe(status);
        expect(r.json().error.code).toBe(status === 401 ? 'UNAUTHENTICATED' : 'FORBIDDEN');
      }
      expect(await countRows()).toBe(before);
      expect((await put(ref, jpeg())).statusCode).toBe(201);
      for (const [token, status] of [
        [null, 401],
        [channel, 403],
      ] as const) {
        expect((await get(ref, token)).statusCode).toBe(status);
      }
      for (const [token, status] of [
        [null, 401],
        [workstation, 403],
        [lead, 403],
      ] as const) {
        expect((await del(ref, token)).statusCode).toBe(status);
      }
      expect((await app.inject({ method: 'HEAD', url: `${PATH}/${ref}` })).statusCode).toBe(401);
      expect((await get(ref)).statusCode).toBe(200);
    });

    it('refuses what is not a JPEG, PNG or WebP image with a precise code, storing nothing', async () => {
      const ref = newRef();
      const cases: Array<[Buffer, string | null, number, string, RegExp?]> = [
        [gif(), 'image/jpeg', 400, 'CORRUPT_INPUT', /GIF/],
        [html(), 'image/png', 400, 'CORRUPT_INPUT', /HTML/],
        [png(), 'image/jpeg', 400, 'CORRUPT_INPUT', /PNG image but Content-Type says image\/jpeg/],
        [Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]), 'image/jpeg', 400, 'CORRUPT_INPUT', /truncated/],
        [Buffer.alloc(0), 'image/jpeg', 400, 'CORRUPT_INPUT', /empty/],
        [gif(), 'image/gif', 415, 'UNSUPPORTED_MEDIA_TYPE'],
        [html(), 'text/html', 415, 'UNSUPPORTED_MEDIA_TYPE'],
        [jpeg(), 'application/json', 415, 'UNSUPPORTED_MEDIA_TYPE'],
        [jpeg(), null, 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ];
      for (const [body, type, status, code, message] of cases) {
        const r = await put(ref, body, type);
        expect(r.statusCode, `${type} ${code}`).toBe(status);
        expect(r.json().error.code).toBe(code);
        if (message) expect(r.json().error.message).toMatch(message);
        expect(await rowOf(ref)).toBeUndefined();
      }
      // a refusal does not touch an earlier photo either
      const first = jpeg();
      expect((await put(ref, first)).statusCode).toBe(201);
      expect((await put(ref, gif())).statusCode).toBe(400);
      expect(Buffer.compare((await get(ref)).rawPayload, first)).toBe(0);
    });

    it('accepts exactly 10 MiB and refuses one byte more with 413', async () => {
      const ref = newRef();
      const tooBig = await put(ref, jpeg(REFERENCE_PHOTO_LIMITS.maxBytes + 1));
      expect(tooBig.statusCode).toBe(413);
      expect(tooBig.json().error.code).toBe('PAYLOAD_TOO_LARGE');
      expect(await rowOf(ref)).toBeUndefined();
      const max = jpeg(REFERENCE_PHOTO_LIMITS.maxBytes);
      expect((await put(ref, max)).statusCode).toBe(201);
      expect(Buffer.compare((await get(ref)).rawPayload, max)).toBe(0);
      // an unauthenticated upload is refused before its body is read
      expect((await put(newRef(), jpeg(REFERENCE_PHOTO_LIMITS.maxBytes + 1), 'image/jpeg', null)).statusCode).toBe(401);
    });

    it('refuses a malformed customer reference with 400 INVALID_PAYLOAD', async () => {
      for (const ref of ['has%20space', 'x'.repeat(65), '%C3%A9t%C3%A9', 'semi%3Bcolon', 'a%2Fb', '%2E']) {
        for (const r of [await put(ref, jpeg()), await get(ref), await del(ref)]) {
          expect(r.statusCode, ref).toBe(400);
          expect(r.json().error.code).toBe('INVALID_PAYLOAD');
        }
      }
      // dot segments never reach the route (URL normalisation), and are refused if they did
      expect(['.', '..', '...'].map(isCustomerRef)).toEqual([false, false, true]);
      // the whole alphabet, at the longest
      const ok = `Ab0._:-${'z'.repeat(57)}`;
      expect(ok).toHaveLength(64);
      expect((await put(ok, jpeg())).statusCode).toBe(201);
      expect((await get(ok)).statusCode).toBe(200);
    });

    it('deletes on the channel’s request; a photo never stored is 404 NOT_FOUND', async () => {
      const ref = newRef();
      const none = await get(ref);
      expect(none.statusCode).toBe(404);
      expect(none.json().error).toEqual({ code: 'NOT_FOUND', message: 'no reference photo for this customer reference' });
      expect((await put(ref, jpeg())).statusCode).toBe(201);
      const gone = await del(ref);
      expect(gone.statusCode).toBe(204);
      expect(await rowOf(ref)).toBeUndefined();
      expect((await get(ref)).statusCode).toBe(404);
      expect((await del(ref)).statusCode).toBe(404);
    });

    it('sweeps photos older than the TTL, and does not serve them even before the sweep', async () => {
      const old = newRef();
      const fresh = newRef();
      expect((await put(old, jpeg())).statusCode).toBe(201);
      expect((await put(fresh, jpeg())).statusCode).toBe(201);
      await db.query("UPDATE reference_photos SET updated_at = now() - interval '31 days', created_at = now() - interval '31 days' WHERE customer_ref_hash = $1", [customerRefHash(keys, old)]);
      expect((await get(old)).statusCode).toBe(404);
      expect(await sweepExpiredPhotos(db, 30 * 86_400)).toBeGreaterThanOrEqual(1);
      expect(await rowOf(old)).toBeUndefined();
      expect(await rowOf(fresh)).toBeDefined();
      expect((await get(fresh)).statusCode).toBe(200);

      // the server's own sweep (VERIDESK_REFERENCE_PHOTO_TTL_DAYS → ttlDays), here every 50 ms with a 1-day TTL
      const other = newRef();
      expect((await put(other, jpeg())).statusCode).toBe(201);
      await db.query("UPDATE reference_photos SET updated_at = now() - interval '2 days' WHERE customer_ref_hash = $1", [customerRefHash(keys, other)]);
      const sweeper = await buildServer({ db, logger: silentLogger, referencePhotos: { serverKeyHex, ttlDays: 1, sweepIntervalMs: 50 } });
      await sweeper.ready();
      try {
        const deadline = Date.now() + 5_000;
        while ((await rowOf(other)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
        expect(await rowOf(other)).toBeUndefined();
        expect(await rowOf(fresh)).toBeDefined();
      } finally {
        await sweeper.close();
      }
    });

    it('never logs the customer reference or the image', async () => {
      const ref = newRef();
      const bytes = jpeg();
      const from = logLines.length;
      await put(ref, bytes);
      await put(ref, gif());
      await get(ref);
      await get(ref, channel);
      await del(ref);
      await get(ref);
      const text = logLines.slice(from).join('');
      expect(text).toContain('reference photo stored');
      expect(text).toContain('reference photo read');
      expect(text).toContain(customerRefHash(keys, ref).slice(0, 16));
      expect(text).not.toContain(ref);
      expect(text).not.toContain(encodeURIComponent(ref));
      expect(text).not.toContain(bytes.subarray(4, 40).toString('base64'));
      expect(text).not.toContain(bytes.subarray(4, 40).toString('hex'));
    });

    it('refuses an unknown token role in the database', async () => {
      await expect(db.query("INSERT INTO api_tokens (name, role, token_hash) VALUES ('bad-role', 'admin', 'x')")).rejects.toThrow();
    });
  });
}

describe('reference-photo server key', () => {
  let dir: string;
  let db: ServerDb;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vd-refphoto-key-'));
    db = await dbBackends(pgStart)[0]!.open();
    await migrateServer(db);
  });
  afterAll(async () => {
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('without VERIDESK_SERVER_KEY creates a 0600 key file on first use and reuses it after a restart', async () => {
    const keyFile = join(dir, 'data', 'reference-photo.key');
    const channel = await createToken(db, 'app-keyfile', 'channel');
    const ws = await createToken(db, 'ws-keyfile');
    const first = await buildServer({ db, logger: silentLogger, referencePhotos: { serverKeyHex: '', keyFile } });
    const bytes = png();
    try {
      expect(() => statSync(keyFile)).toThrow(); // not before first use
      const r = await first.inject({ method: 'PUT', url: `${PATH}/cust-1`, headers: { authorization: `Bearer ${channel}`, 'content-type': 'image/png' }, payload: bytes });
      expect(r.statusCode).toBe(201);
    } finally {
      await first.close();
    }
    expect(readFileSync(keyFile, 'utf8').trim()).toMatch(/^[0-9a-f]{64}$/);
    if (process.platform !== 'win32') expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const keys = deriveKeys(Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'hex'));
    expect((await db.query('SELECT 1 FROM reference_photos WHERE customer_ref_hash = $1', [customerRefHash(keys, 'cust-1')])).rows).toHaveLength(1);

    const second = await buildServer({ db, logger: silentLogger, referencePhotos: { serverKeyHex: '', keyFile } });
    try {
      const r = await second.inject({ method: 'GET', url: `${PATH}/cust-1`, headers: { authorization: `Bearer ${ws}` } });
      expect(r.statusCode).toBe(200);
      expect(Buffer.compare(r.rawPayload, bytes)).toBe(0);
    } finally {
      await second.close();
    }
    // a different server key does not find it (the row id is keyed) — a key change makes old photos unreachable
    const third = await buildServer({ db, logger: silentLogger, referencePhotos: { serverKeyHex: randomBytes(32).toString('hex') } });
    try {
      expect((await third.inject({ method: 'GET', url: `${PATH}/cust-1`, headers: { authorization: `Bearer ${ws}` } })).statusCode).toBe(404);
    } finally {
      await third.close();
    }
  });

  it('refuses to start with a malformed VERIDESK_SERVER_KEY or TTL', async () => {
    await expect(buildServer({ db, logger: silentLogger, referencePhotos: { serverKeyHex: 'abc' } })).rejects.toThrow(/VERIDESK_SERVER_KEY must be 64 hex/);
    await expect(buildServer({ db, logger: silentLogger, referencePhotos: { serverKeyHex: 'g'.repeat(64) } })).rejects.toThrow(/64 hex/);
    await expect(buildServer({ db, logger: silentLogger, referencePhotos: { serverKeyHex: randomBytes(32).toString('hex'), ttlDays: 0 } })).rejects.toThrow(/TTL/);
  });
});
