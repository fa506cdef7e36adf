import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { safeStorage } from 'electron';
import { AppFailure } from '../../shared/errors';
import { writeFileAtomic } from '../fs/atomic-write';
import type { Logger } from '../log/logger';
import type { SecretStore } from '../settings/secret-store';

interface SealedFile {
  version: 1;
  /** name → base64 of safeStorage.encryptString(value); names (backend origins) are not secret. */
  sealed: Record<string, string>;
}

/**
 * Secrets (the backend token per origin) protected by the OS keystore through Electron `safeStorage` (DPAPI,
 * Keychain, libsecret/kwallet). The file holds only keystore-encrypted values; without the OS user's keystore
 * they are useless. Refuses to store when the keystore is not available instead of falling back to plain text.
 * Use after `app.whenReady()`.
 */
export class SafeStorageSecretStore implements SecretStore {
  private sealed: Map<string, string> | null = null;
  private writes: Promise<void> = Promise.resolve();

  constructor(
    readonly path: string,
    private readonly log?: Logger,
  ) {}

  get description(): string {
    return `OS keystore (safeStorage) secrets at ${this.path}`;
  }

  get(name: string): string | null {
    const value = this.load().get(name);
    if (value === undefined) return null;
    try {
      return safeStorage.decryptString(Buffer.from(value, 'base64'));
    } catch {
      // another OS user's or machine's keystore, or no keystore right now: as good as no token (the agent re-enters it)
      this.log?.warn({ name }, 'a stored secret cannot be decrypted with this OS keystore');
      return null;
    }
  }

  async set(name: string, value: string): Promise<void> {
    // checked before anything is queued, so the refusal reaches the agent as it is
    assertKeystore();
    const sealed = safeStorage.encryptString(value).toString('base64');
    await this.write((map) => void map.set(name, sealed));
  }

  async delete(name: string): Promise<boolean> {
    let had = false;
    await this.write((map) => void (had = map.delete(name)));
    return had;
  }

  private load(): Map<string, string> {
    if (this.sealed) return this.sealed;
    const map = new Map<string, string>();
    if (existsSync(this.path)) {
      try {
        const parsed = JSON.parse(readFileSync(this.path, 'utf8')) as Partial<SealedFile>;
        if (parsed.version === 1 && parsed.sealed && typeof parsed.sealed === 'object') {
          for (const [name, value] of Object.entries(parsed.sealed)) if (typeof value === 'string') map.set(name, value);
        } else this.log?.warn({ path: this.path }, 'secret file is not a sealed secret file; ignored');
      } catch (error) {
        this.log?.warn({ path: this.path, err: (error as Error).message }, 'secret file unreadable; ignored');
      }
    }
    this.sealed = map;
    return map;
  }

  private write(change: (map: Map<string, string>) => void): Promise<void> {
    const run = this.writes.then(async () => {
      const next = new Map(this.load());
      change(next);
      const file: SealedFile = { version: 1, sealed: Object.fromEntries(next) };
      await writeFileAtomic(this.path, `${JSON.stringify(file, null, 2)}\n`, 0o600);
      if (process.platform !== 'win32') chmodSync(this.path, 0o600);
      this.sealed = next;
    });
    this.writes = run.catch(() => undefined);
    return run;
  }
}

function assertKeystore(): void {
  if (!safeStorage.isEncryptionAvailable()) {
    throw new AppFailure('UNAVAILABLE', 'the OS keystore is not available (safeStorage), so the backend token cannot be stored encrypted; it was not saved');
  }
  if (process.platform === 'linux' && safeStorage.getSelectedStorageBackend?.() === 'basic_text') {
    throw new AppFailure('UNAVAILABLE', 'no OS keystore (libsecret/kwallet) is running; refusing to store the backend token in plain text');
  }
}
