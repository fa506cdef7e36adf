import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { AppFailure } from '../../shared/errors';

/**
 * Supplies the 32-byte master key of a workstation's case log. Subkeys (encryption at rest,
 * ID-number lookup hash, export signing) are derived from it (see ./keys.ts).
 * - the Electron app: src/main/app/safe-storage-key-provider.ts (OS keystore)
 * - the headless host, CLI and tests: FileKeyProvider (a 0600 file)
 */
export interface KeyProvider {
  /** Returns the master key, creating it on first use. Throws AppFailure on a damaged key. */
  getMasterKey(): Buffer;
  readonly description: string;
}

export const MASTER_KEY_BYTES = 32;

/** A hex key in a file that only its owner may read (mode 0600); created if missing. */
export class FileKeyProvider implements KeyProvider {
  private cached: Buffer | null = null;
  constructor(
    readonly path: string,
    private readonly options: { create?: boolean } = {},
  ) {}

  get description(): string {
    return `key file ${this.path}`;
  }

  getMasterKey(): Buffer {
    if (this.cached) return this.cached;
    if (!existsSync(this.path)) {
      if (this.options.create === false) throw new AppFailure('NOT_FOUND', `key file ${this.path} does not exist`);
      mkdirSync(dirname(this.path), { recursive: true });
      writeFileSync(this.path, `${randomBytes(MASTER_KEY_BYTES).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
      chmodSync(this.path, 0o600);
    }
    if (process.platform !== 'win32') {
      const mode = statSync(this.path).mode & 0o777;
      if (mode & 0o077) throw new AppFailure('IO_ERROR', `key file ${this.path} is readable by others (mode ${mode.toString(8)}); run chmod 600`);
    }
    const text = readFileSync(this.path, 'utf8').trim();
    if (!/^[0-9a-f]{64}$/.test(text)) throw new AppFailure('CORRUPT_INPUT', `key file ${this.path} does not hold a 32-byte hex key`);
    this.cached = Buffer.from(text, 'hex');
    return this.cached;
  }
}

/** A fixed key, for tests and benchmarks. */
export class StaticKeyProvider implements KeyProvider {
  readonly description = 'static key';
  constructor(private readonly key: Buffer) {
    if (key.length !== MASTER_KEY_BYTES) throw new AppFailure('CORRUPT_INPUT', 'master key must be 32 bytes');
  }
  getMasterKey(): Buffer {
    return this.key;
  }
}
