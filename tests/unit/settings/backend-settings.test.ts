/**
 * The backend URL rule (https except loopback), the file secret store, and tokens bound to backend origins
 * (issue 10 item 6).
 */
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BackendTokens, tokenSecretName } from '../../../src/main/settings/backend-tokens';
import { FileSecretStore, MemorySecretStore } from '../../../src/main/settings/secret-store';
import { SettingsService } from '../../../src/main/settings/settings-service';
import { silentLogger } from '../../../src/main/log/logger';
import { backendOrigin, DEFAULT_SETTINGS, HTTPS_REQUIRED_MESSAGE, SettingsPatchSchema, SettingsSchema } from '../../../src/shared/settings';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vd-backend-settings-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('backendUrl must be https except on loopback', () => {
  it.each(['https://sync.bank.example', 'https://sync.bank.example:8443/veridesk/', 'http://127.0.0.1:8787', 'http://localhost:8787', 'http://[::1]:8787', 'HTTP://LOCALHOST:1'])('accepts %s', (url) => {
    expect(SettingsPatchSchema.safeParse({ backendUrl: url }).success).toBe(true);
  });

  it.each(['http://sync.bank.example', 'http://10.0.0.5:8787', 'http://127.0.0.1.nip.io', 'http://localhost.evil.example', 'ftp://127.0.0.1'])('refuses %s with the reason in both languages', (url) => {
    const result = SettingsPatchSchema.safeParse({ backendUrl: url });
    expect(result.success).toBe(false);
    if (url.startsWith('http:')) {
      expect(result.error!.issues[0]).toMatchObject({ path: ['backendUrl'], message: HTTPS_REQUIRED_MESSAGE });
      expect(HTTPS_REQUIRED_MESSAGE).toMatch(/必须使用 https/);
      expect(HTTPS_REQUIRED_MESSAGE).toMatch(/must use https/);
    }
  });

  it('SettingsService refuses the update and keeps the stored file', async () => {
    const path = join(dir, 'settings.json');
    const service = new SettingsService({ path, log: silentLogger });
    await service.load();
    await service.update({ backendUrl: 'https://sync.bank.example' });
    const before = readFileSync(path, 'utf8');
    await expect(service.update({ backendUrl: 'http://sync.bank.example' })).rejects.toThrow(/https/);
    expect(readFileSync(path, 'utf8')).toBe(before);
  });

  it('a settings file from before the rule, pointing at plain http elsewhere, keeps the rest and falls back to the default backend with a notice', async () => {
    const path = join(dir, 'settings.json');
    writeFileSync(path, JSON.stringify({ ...DEFAULT_SETTINGS, agentId: 'agent-42', language: 'en', backendUrl: 'http://sync.branch.local:8787' }));
    const service = new SettingsService({ path, log: silentLogger });
    expect(await service.load()).toEqual({ ...DEFAULT_SETTINGS, agentId: 'agent-42', language: 'en' });
    expect(service.notices()).toEqual([{ level: 'warning', code: 'INVALID_INPUT', key: 'backendUrlInsecure', detail: 'http://sync.branch.local:8787' }]);
    // not treated as a corrupt file
    expect(readdirSync(dir).filter((f) => f.includes('.corrupt-'))).toEqual([]);
    expect(SettingsSchema.parse(JSON.parse(readFileSync(path, 'utf8')))).toMatchObject({ agentId: 'agent-42', backendUrl: DEFAULT_SETTINGS.backendUrl });
  });

  it('settings.update waits for settings.setBackendToken queued after it (afterPending sees the new URL)', async () => {
    const service = new SettingsService({ path: join(dir, 'settings.json'), log: silentLogger });
    await service.load();
    const update = service.update({ backendUrl: 'https://b.example' });
    const seen = service.afterPending(async (current) => current.backendUrl);
    await update;
    expect(await seen).toBe('https://b.example');
  });
});

describe('FileSecretStore', () => {
  it('persists secrets in a 0600 JSON file, survives a new instance, deletes', async () => {
    const path = join(dir, 'secrets.json');
    const store = new FileSecretStore(path);
    expect(store.get('x')).toBeNull();
    await Promise.all([store.set('a', 'vd_1'), store.set('b', 'vd_2')]);
    if (process.platform !== 'win32') expect(statSync(path).mode & 0o777).toBe(0o600);
    const again = new FileSecretStore(path);
    expect([again.get('a'), again.get('b')]).toEqual(['vd_1', 'vd_2']);
    expect(await again.delete('a')).toBe(true);
    expect(await again.delete('a')).toBe(false);
    expect(new FileSecretStore(path).get('a')).toBeNull();
    expect(new FileSecretStore(path).get('b')).toBe('vd_2');
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it.runIf(process.platform !== 'win32')('refuses a file others can read', async () => {
    const path = join(dir, 'secrets.json');
    await new FileSecretStore(path).set('a', 'vd_1');
    chmodSync(path, 0o644);
    expect(() => new FileSecretStore(path).get('a')).toThrow(/readable by others/);
  });

  it('a damaged file is moved aside and the store starts empty', () => {
    const path = join(dir, 'secrets.json');
    writeFileSync(path, '{"version": 1, "secr', { mode: 0o600 });
    expect(new FileSecretStore(path).get('a')).toBeNull();
    expect(readdirSync(dir).some((f) => f.startsWith('secrets.json.corrupt-'))).toBe(true);
  });
});

describe('BackendTokens', () => {
  it('binds the launch token to the origin in effect at launch only', () => {
    const tokens = new BackendTokens({ secrets: new MemorySecretStore(), launch: { url: 'https://a.example:443/base/', token: 'vd_launch' } });
    expect(tokens.tokenFor('https://a.example')).toBe('vd_launch');
    expect(tokens.tokenFor('https://a.example/other/path')).toBe('vd_launch');
    // another port, scheme or host is another origin
    expect(tokens.tokenFor('https://a.example:8443')).toBeUndefined();
    expect(tokens.tokenFor('http://a.example')).toBeUndefined();
    expect(tokens.tokenFor('https://b.example')).toBeUndefined();
    expect(tokens.tokenFor('not a url')).toBeUndefined();
  });

  it('stores a token under the origin it was entered for; a stored one wins over the launch one; null forgets both', async () => {
    const secrets = new MemorySecretStore();
    const tokens = new BackendTokens({ secrets, launch: { url: 'https://a.example', token: 'vd_launch' } });
    const changed: string[] = [];
    tokens.onChange((origin) => changed.push(origin));
    expect(await tokens.set('https://b.example/veridesk', 'vd_b')).toEqual({ origin: 'https://b.example', backendTokenSet: true });
    expect(secrets.get(tokenSecretName('https://b.example'))).toBe('vd_b');
    expect(tokens.tokenFor('https://b.example')).toBe('vd_b');
    expect(tokens.tokenFor('https://a.example')).toBe('vd_launch');
    await tokens.set('https://a.example', 'vd_a_typed');
    expect(tokens.tokenFor('https://a.example')).toBe('vd_a_typed');
    expect(await tokens.set('https://a.example', null)).toEqual({ origin: 'https://a.example', backendTokenSet: false });
    expect(tokens.tokenFor('https://a.example')).toBeUndefined();
    expect(tokens.tokenFor('https://b.example')).toBe('vd_b');
    expect(changed).toEqual(['https://b.example', 'https://a.example', 'https://a.example']);
    expect(backendOrigin('https://sync.bank.example:443/x')).toBe('https://sync.bank.example');
  });
});
