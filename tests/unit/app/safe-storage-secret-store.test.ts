import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

// A fake keystore: "encrypts" by XOR with a per-test secret behind a marker, fails on foreign data.
const keystore = vi.hoisted(() => ({ available: true, backend: 'gnome_libsecret', secret: 0x5a }));
vi.mock('electron', () => ({
  safeStorage: {
    isEncryptionAvailable: () => keystore.available,
    getSelectedStorageBackend: () => keystore.backend,
    encryptString: (s: string) => Buffer.concat([Buffer.from('KS1'), Buffer.from(s, 'utf8').map((b) => b ^ keystore.secret)]),
    decryptString: (b: Buffer) => {
      if (!keystore.available) throw new Error('Error while decrypting: encryption is not available');
      if (!b.subarray(0, 3).equals(Buffer.from('KS1'))) throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.');
      return Buffer.from(b.subarray(3).map((x) => x ^ keystore.secret)).toString('utf8');
    },
  },
}));

const { SafeStorageSecretStore } = await import('../../../src/main/app/safe-storage-secret-store');

const TOKEN = 'vd_the-backend-token-0123456789';
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vd-ss-secrets-'));
  Object.assign(keystore, { available: true, backend: 'gnome_libsecret', secret: 0x5a });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('SafeStorageSecretStore', () => {
  it('stores a secret only keystore-encrypted (0600) and reads it back in a new instance', async () => {
    const path = join(dir, 'secrets.enc.json');
    const store = new SafeStorageSecretStore(path);
    await store.set('backend-token:https://sync.bank.example', TOKEN);
    expect(store.get('backend-token:https://sync.bank.example')).toBe(TOKEN);
    const text = readFileSync(path, 'utf8');
    expect(text).not.toContain(TOKEN);
    expect(text).toContain('backend-token:https://sync.bank.example');
    if (process.platform !== 'win32') expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(new SafeStorageSecretStore(path).get('backend-token:https://sync.bank.example')).toBe(TOKEN);
    expect(new SafeStorageSecretStore(path).get('backend-token:https://other.example')).toBeNull();
  });

  it('refuses to store when the keystore is not available, with a clear error, and writes nothing', async () => {
    keystore.available = false;
    const path = join(dir, 'secrets.enc.json');
    const store = new SafeStorageSecretStore(path);
    await expect(store.set('backend-token:https://a.example', TOKEN)).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/OS keystore is not available.*not saved/) });
    expect(() => statSync(path)).toThrow();
  });

  it.runIf(process.platform === 'linux')('refuses the plain-text fallback on Linux', async () => {
    keystore.backend = 'basic_text';
    await expect(new SafeStorageSecretStore(join(dir, 's.json')).set('n', TOKEN)).rejects.toThrow(/plain text/);
  });

  it('deletes, and a secret from another keystore reads as absent rather than garbage or a crash', async () => {
    const path = join(dir, 'secrets.enc.json');
    const store = new SafeStorageSecretStore(path);
    await store.set('a', TOKEN);
    await store.set('b', 'vd_other');
    expect(await store.delete('a')).toBe(true);
    expect(await store.delete('a')).toBe(false);
    expect(new SafeStorageSecretStore(path).get('a')).toBeNull();
    keystore.available = false; // e.g. the keystore is locked now
    expect(new SafeStorageSecretStore(path).get('b')).toBeNull();
  });
});
