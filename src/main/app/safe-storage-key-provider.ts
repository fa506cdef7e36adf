import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { safeStorage } from 'electron';
import { AppFailure } from '../../shared/errors';
import { MASTER_KEY_BYTES, type KeyProvider } from '../caselog/key-provider';

/**
 * The case log's master key protected by the OS keystore through Electron `safeStorage`
 * (DPAPI on Windows, Keychain on macOS, libsecret/kwallet on Linux). The file at `path` holds
 * only the keystore-encrypted key; without the OS user's keystore it is useless.
 * Call after `app.whenReady()`.
 */
export class SafeStorageKeyProvider implements KeyProvider {
  private cached: Buffer | null = null;
  constructor(readonly path: string) {}

  get description(): string {
    return `OS keystore (safeStorage) key at ${this.path}`;
  }

  getMasterKey(): Buffer {
    if (this.cached) return this.cached;
    if (!safeStorage.isEncryptionAvailable()) {
      throw new AppFailure('UNAVAILABLE', 'the OS keystore is not available, so the case log key cannot be protected');
    }
    if (process.platform === 'linux' && safeStorage.getSelectedStorageBackend?.() === 'basic_text') {
      throw new AppFailure('UNAVAILABLE', 'no OS keystore (libsecret/kwallet) is running; refusing to store the case log key in plain text');
    }
    if (!existsSync(this.path)) {
      const key = randomBytes(MASTER_KEY_BYTES);
      mkdirSync(dirname(this.path), { recursive: true });
      writeFileSync(this.path, safeStorage.encryptString(key.toString('hex')), { mode: 0o600, flag: 'wx' });
      chmodSync(this.path, 0o600);
      this.cached = key;
      return key;
    }
    let hex: string;
    try {
      hex = safeStorage.decryptString(readFileSync(this.path));
    } catch {
      throw new AppFailure('CORRUPT_INPUT', `cannot decrypt the case log key at ${this.path} with the OS keystore (another user or machine, or the file is damaged)`);
    }
    if (!/^[0-9a-f]{64}$/.test(hex)) throw new AppFailure('CORRUPT_INPUT', `the case log key at ${this.path} is damaged`);
    this.cached = Buffer.from(hex, 'hex');
    return this.cached;
  }
}
