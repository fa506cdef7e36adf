import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

// A fake keystore: "encrypts" by XOR with a per-test secret and a marker, fails on foreign data.
const keystore = vi.hoisted(() => ({ available: true, backend: 'gnome_libsecret', secret: 0x5a }));
vi.mock('electron', () => ({
  safeStorage: {
    isEncryptionAvailable: () => keystore.available,
    getSelectedStorageBackend: () => keystore.backend,
    encryptString: (s: string) => Buffer.concat([Buffer.from('KS1'), Buffer.from(s, 'utf8').map((b) => b ^ keystore.secret)]),
    decryptString: (b: Buffer) => {
      if (!b.subarray(0, 3).equals(Buffer.from('KS1'))) throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.');
      return Buffer.from(b.subarray(3).map((x) => x ^ keystore.secret)).toString('utf8');
    },
  },
}));

const { SafeStorageKeyProvider } = await import('./safe-storage-key-provider');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vd-ss-'));
  Object.assign(keystore, { available: true, backend: 'gnome_libsecret', secret: 0x5a });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('SafeStorageKeyProvider', () => {
  it('creates a key, stores it only keystore-encrypted (0600), and reads the same key back', () => {
    const path = join(dir, 'case-log.key');
    const key = new SafeStorageKeyProvider(path).getMasterKey();
    expect(key).toHaveLength(32);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path).includes(Buffer.from(key.toString('hex')))).toBe(false);
    expect(new SafeStorageKeyProvider(path).getMasterKey()).toEqual(key);
  });

  it('refuses when no keystore is available or Linux would fall back to plain text', () => {
    keystore.available = false;
    expect(() => new SafeStorageKeyProvider(join(dir, 'a.key')).getMasterKey()).toThrow(/not available/);
    keystore.available = true;
    keystore.backend = 'basic_text';
    const p = new SafeStorageKeyProvider(join(dir, 'b.key'));
    if (process.platform === 'linux') expect(() => p.getMasterKey()).toThrow(/plain text/);
  });

  it('a key file from another keystore or a damaged one is a clear error', () => {
    const path = join(dir, 'case-log.key');
    new SafeStorageKeyProvider(path).getMasterKey();
    keystore.secret = 0x33; // another OS user: decrypts to garbage
    expect(() => new SafeStorageKeyProvider(path).getMasterKey()).toThrow(/damaged/);
    writeFileSync(path, 'not a keystore blob');
    expect(() => new SafeStorageKeyProvider(path).getMasterKey()).toThrow(/cannot decrypt the case log key/);
  });
});
