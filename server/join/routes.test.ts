import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isJoinableRequestId, joinPagePolicy, registerJoinPage } from './routes';

const room = 'Room_0123456789abcdef';
let dir: string;
let app: FastifyInstance;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'veridesk-join-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>join</title><script type="module" src="/join/assets/index-abc.js"></script>');
  writeFileSync(join(dir, 'assets', 'index-abc.js'), 'console.log(1)');
  writeFileSync(join(dir, 'assets', '.secret'), 'no');
  app = Fastify({ trustProxy: true });
  await app.register(registerJoinPage, { dir });
  app.get('/other', async () => ({ ok: true }));
  await app.ready();
});

afterAll(async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('join page routes', () => {
  it('serves index.html for a valid room id with the strict headers', async () => {
    const res = await app.inject({ url: `/join/${room}`, headers: { host: 'bank.example', 'x-forwarded-proto': 'https' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.body).toContain('/join/assets/index-abc.js');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    const csp = String(res.headers['content-security-policy']);
    for (const directive of [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data: blob:",
      "media-src 'self' blob: mediastream:",
      "connect-src 'self' wss://bank.example",
      "object-src 'none'",
      "base-uri 'none'",
      "frame-ancestors 'none'",
    ]) {
      expect(csp).toContain(directive);
    }
  });

  it('names ws:// for plain http and leaves out a hostile Host header', async () => {
    const plain = await app.inject({ url: `/join/${room}`, headers: { host: '127.0.0.1:8787' } });
    expect(plain.headers['content-security-policy']).toContain("connect-src 'self' ws://127.0.0.1:8787");
    const hostile = await app.inject({ url: `/join/${room}`, headers: { host: "evil.example; script-src 'unsafe-inline'" } });
    expect(hostile.headers['content-security-policy']).toBe(joinPagePolicy(null));
  });

  it('404s for anything that is not a room id', async () => {
    for (const url of ['/join/short', '/join/has.dot.in.it.0123456789', `/join/${'x'.repeat(65)}`, '/join/']) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(404);
    }
  });

  it('serves the same page with the same headers for a queued request /join/q/<requestId>', async () => {
    const headers = { host: 'bank.example', 'x-forwarded-proto': 'https' };
    const roomPage = await app.inject({ url: `/join/${room}`, headers });
    for (const requestId of ['req_01HZX3V9K2', 'a', 'ch-1.req:42', 'x'.repeat(64)]) {
      const res = await app.inject({ url: `/join/q/${requestId}`, headers });
      expect(res.statusCode, requestId).toBe(200);
      expect(res.body).toBe(roomPage.body);
      for (const name of ['content-type', 'content-security-policy', 'cache-control', 'referrer-policy', 'x-content-type-options', 'x-frame-options', 'permissions-policy', 'cross-origin-opener-policy']) {
        expect(res.headers[name], `${requestId} ${name}`).toBe(roomPage.headers[name]);
      }
    }
    expect(String(roomPage.headers['content-security-policy'])).toContain("connect-src 'self' wss://bank.example");
  });

  it('404s a queue link whose request id is malformed or hostile, with no page in the answer', async () => {
    for (const url of [
      '/join/q/',
      '/join/q/..',
      '/join/q/%2E%2E',
      '/join/q/.',
      '/join/q/a%2Fb',
      '/join/q/a/b',
      '/join/q/has%20space',
      '/join/q/%3Cscript%3E',
      `/join/q/${'x'.repeat(65)}`,
    ]) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(404);
      expect(res.body, url).not.toContain('/join/assets/');
      expect(res.headers['content-security-policy'], url).toBeUndefined();
    }
    // dot segments are resolved before routing here, but a proxy may pass them through: the check itself refuses them
    expect(isJoinableRequestId('..')).toBe(false);
    expect(isJoinableRequestId('.')).toBe(false);
    expect(isJoinableRequestId('...')).toBe(true);
    // a broken %-escape never reaches the route: Fastify refuses the URL itself
    const broken = await app.inject({ url: '/join/q/%E0%A4%A' });
    expect(broken.statusCode).toBe(400);
    expect(broken.body).not.toContain('/join/assets/');
  });

  it('serves hashed assets with long caching, and nothing else from the folder', async () => {
    const asset = await app.inject({ url: '/join/assets/index-abc.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toContain('immutable');
    expect(asset.headers['x-content-type-options']).toBe('nosniff');
    expect((await app.inject({ url: '/join/assets/.secret' })).statusCode).toBe(404);
    expect((await app.inject({ url: '/join/assets/../index.html' })).statusCode).toBe(404);
    expect((await app.inject({ url: '/join/assets/missing.js' })).statusCode).toBe(404);
  });

  it('keeps its headers to its own routes', async () => {
    const res = await app.inject({ url: '/other' });
    expect(res.headers['content-security-policy']).toBeUndefined();
    expect(res.headers['referrer-policy']).toBeUndefined();
  });

  it('refuses to start without a built page', async () => {
    const bare = Fastify();
    await expect(bare.register(registerJoinPage, { dir: join(dir, 'nope') }).ready()).rejects.toThrow(/join page not built/);
    await bare.close();
  });
});
