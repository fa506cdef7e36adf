import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { joinPagePolicy, registerJoinPage } from './routes';

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
