/**
 * The backend token is bound to the backend origin it was given for (issue 10 item 6): two real local backends on
 * different ports (different origins) record every Authorization header while the workstation moves between them.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaticKeyProvider } from '../../../src/main/caselog/key-provider';
import { silentLogger } from '../../../src/main/log/logger';
import { tokenSecretName } from '../../../src/main/settings/backend-tokens';
import { createWorkstation, type Workstation } from '../../../src/main/workstation';
import { startFakeBackend, type FakeBackend } from './fake-backend';

const TOKEN_A = 'vd_token-of-backend-a';
const TOKEN_B = 'vd_token-of-backend-b';

let dir: string;
let a: FakeBackend;
let b: FakeBackend;
let workstation: Workstation;
const emitted: { event: string; payload: unknown }[] = [];

const invoke = async (method: string, params: unknown = {}) => workstation.dispatch(method, params);
const syncRequests = (backend: FakeBackend) => backend.requests.filter((r) => r.path.startsWith('/api/'));
const authorizations = (backend: FakeBackend) => new Set(backend.requests.map((r) => r.authorization));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Every request the workstation issues, with the moment it was issued. A backend in this process reads a request
// some time after the client sent it, so "nothing after the move" is judged on when requests were issued.
const issued: { origin: string; path: string; authorization: string | null; at: number }[] = [];
const realFetch = globalThis.fetch;
const issuedAfter = (backend: FakeBackend, at: number) => issued.filter((r) => r.origin === backend.origin && r.at > at).map((r) => r.path);

beforeAll(async () => {
  globalThis.fetch = (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const authorization = new Headers(input instanceof Request ? input.headers : init?.headers).get('authorization');
    issued.push({ origin: url.origin, path: url.pathname, authorization, at: performance.now() });
    return realFetch(input, init);
  };
  dir = mkdtempSync(join(tmpdir(), 'vd-token-origin-'));
  a = await startFakeBackend();
  b = await startFakeBackend();
  // the launch token (the host's VERIDESK_BACKEND_TOKEN) is bound to the backend in effect at launch: A
  writeFileSync(join(dir, 'settings.json'), JSON.stringify({ backendUrl: a.url }));
  workstation = await createWorkstation({
    dataDir: dir,
    transport: 'host',
    version: 'test',
    log: silentLogger,
    modelsDir: null,
    keyProvider: new StaticKeyProvider(Buffer.alloc(32, 7)),
    backendToken: TOKEN_A,
    syncTuning: { intervalMs: 40, backoff: { baseMs: 20, maxMs: 100 } },
  });
  workstation.bus.subscribe((event, payload) => emitted.push({ event, payload }));
});

afterAll(async () => {
  globalThis.fetch = realFetch;
  await workstation?.close();
  await a?.close();
  await b?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the backend token follows the backend origin, never the other way', () => {
  it('syncs with the launch backend using the launch token', async () => {
    await expect.poll(() => syncRequests(a).length, { timeout: 10_000 }).toBeGreaterThan(0);
    expect(syncRequests(a).every((r) => r.authorization === `Bearer ${TOKEN_A}`)).toBe(true);
    expect(await invoke('settings.backendToken')).toEqual({ ok: true, value: { origin: a.origin, backendTokenSet: true } });
  });

  it('after backendUrl moves to another origin, the old token is never sent there and the old backend hears nothing more', async () => {
    const moved = await invoke('settings.update', { backendUrl: b.url });
    expect(moved.ok).toBe(true);
    // settings.update resolved: the old client and uploader are stopped, nothing more may start towards A
    const movedAt = performance.now();
    const issuedToA = issued.filter((r) => r.origin === a.origin).length;
    const callStart = await invoke('call.start', {});
    expect(callStart).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
    await sleep(400);
    expect(issuedAfter(a, movedAt)).toEqual([]);
    // and A received nothing but what was already on its way
    expect(a.requests.length).toBeLessThanOrEqual(issuedToA);
    // B gets the health probe at most, without any token; no sync, no room
    expect(syncRequests(b)).toEqual([]);
    expect(authorizations(b)).toEqual(b.requests.length ? new Set([null]) : new Set());
    expect(await invoke('settings.backendToken')).toEqual({ ok: true, value: { origin: b.origin, backendTokenSet: false } });
    expect(await invoke('sync.status')).toMatchObject({ ok: true, value: { state: 'disabled', server: b.origin } });
    expect(emitted).toContainEqual({ event: 'settings.backendToken', payload: { origin: b.origin, backendTokenSet: false } });
  });

  it('a token set in 设置 is stored under the current origin (0600) and used for that backend only', async () => {
    expect(await invoke('settings.setBackendToken', { token: TOKEN_B })).toEqual({ ok: true, value: { origin: b.origin, backendTokenSet: true } });
    const file = join(dir, 'secrets.json');
    const stored = JSON.parse(readFileSync(file, 'utf8')) as { secrets: Record<string, string> };
    expect(stored.secrets).toEqual({ [tokenSecretName(b.origin)]: TOKEN_B });
    if (process.platform !== 'win32') expect(statSync(file).mode & 0o777).toBe(0o600);
    await expect.poll(() => syncRequests(b).length, { timeout: 10_000 }).toBeGreaterThan(0);
    expect(syncRequests(b).every((r) => r.authorization === `Bearer ${TOKEN_B}`)).toBe(true);
    // calls ask for the token of the backend in effect too
    await invoke('call.start', {});
    expect(b.requests.find((r) => r.path === '/api/v1/rooms')).toMatchObject({ method: 'POST', authorization: `Bearer ${TOKEN_B}` });
  });

  it('back on the launch backend, its own token again; neither token ever reached the other backend', async () => {
    expect((await invoke('settings.update', { backendUrl: a.url })).ok).toBe(true);
    const movedAt = performance.now();
    const before = syncRequests(a).length;
    await expect.poll(() => syncRequests(a).length, { timeout: 10_000 }).toBeGreaterThan(before);
    await sleep(200);
    expect(issuedAfter(b, movedAt)).toEqual([]);
    for (const value of authorizations(a)) expect([null, `Bearer ${TOKEN_A}`]).toContain(value);
    for (const value of authorizations(b)) expect([null, `Bearer ${TOKEN_B}`]).toContain(value);
  });

  it('clearing the token stops sending it (the launch one too, for this run)', async () => {
    expect(await invoke('settings.setBackendToken', { token: null })).toEqual({ ok: true, value: { origin: a.origin, backendTokenSet: false } });
    const clearedAt = performance.now();
    await sleep(300);
    // only the token-less health probe may still go to A
    expect(issued.filter((r) => r.at > clearedAt && r.authorization !== null)).toEqual([]);
    expect(issuedAfter(a, clearedAt).filter((path) => path !== '/health')).toEqual([]);
    expect(await invoke('sync.status')).toMatchObject({ ok: true, value: { state: 'disabled' } });
  });

  it('the renderer never receives a token: not in any event, not in any answer', async () => {
    const answers = await Promise.all(['settings.get', 'settings.backendToken', 'sync.status', 'app.info'].map((m) => invoke(m)));
    const seen = JSON.stringify([emitted, answers]);
    expect(seen).not.toContain(TOKEN_A);
    expect(seen).not.toContain(TOKEN_B);
  });

  it('refuses a malformed token (a header could be split) and stores nothing', async () => {
    const refused = await invoke('settings.setBackendToken', { token: 'abc\r\nx-evil: 1' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
    expect(await invoke('settings.backendToken')).toMatchObject({ ok: true, value: { backendTokenSet: false } });
  });

  it('refuses plain http to a host other than loopback, with the reason, and keeps the saved URL', async () => {
    const refused = await invoke('settings.update', { backendUrl: 'http://sync.bank.example:8787' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD', message: expect.stringMatching(/https.*127\.0\.0\.1/) } });
    expect(refused.ok === false && refused.error.message).toMatch(/必须使用 https/);
    expect(await invoke('settings.get')).toMatchObject({ ok: true, value: { backendUrl: a.url } });
  });
});
