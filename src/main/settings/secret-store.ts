import { chmodSync, existsSync, readFileSync, renameSync, statSync } from 'node:fs';
import { AppFailure } from '../../shared/errors';
import { writeFileAtomic } from '../fs/atomic-write';
import type { Logger } from '../log/logger';

/**
 * Named secrets main keeps for itself (the backend API token, per backend origin). The renderer never reads one.
 * - the Electron app: src/main/app/safe-storage-secret-store.ts (OS keystore via safeStorage)
 * - the headless host and the CLI: FileSecretStore (a 0600 JSON file in the data dir)
 *
 * `get` is synchronous because it is asked at request time, right before a header is written; writes go to disk
 * before they resolve, so a token the agent saved survives a crash right after 已保存.
 */
export interface SecretStore {
  get(name: string): string | null;
  set(name: string, value: string): Promise<void>;
  /** True when there was something to delete. */
  delete(name: string): Promise<boolean>;
  readonly description: string;
}

interface SecretFile {
  version: 1;
  secrets: Record<string, string>;
}

/**
 * Plain JSON on disk, readable by its owner only (0600; Windows has no such mode bits and relies on the profile's
 * ACL). For the host and CLI, which have no OS keystore to ask; the Electron app uses safeStorage instead.
 */
export class FileSecretStore implements SecretStore {
  private cache: Map<string, string> | null = null;
  private writes: Promise<void> = Promise.resolve();

  constructor(
    readonly path: string,
    private readonly log?: Logger,
  ) {}

  get description(): string {
    return `secret file ${this.path}`;
  }

  get(name: string): string | null {
    return this.load().get(name) ?? null;
  }

  set(name: string, value: string): Promise<void> {
    return this.write((secrets) => void secrets.set(name, value));
  }

  async delete(name: string): Promise<boolean> {
    let had = false;
    await this.write((secrets) => void (had = secrets.delete(name)));
    return had;
  }

  /** Reads the file once; a damaged one is moved aside (the agent re-enters the token) rather than stopping main. */
  private load(): Map<string, string> {
    if (this.cache) return this.cache;
    const secrets = new Map<string, string>();
    if (existsSync(this.path)) {
      if (process.platform !== 'win32') {
        const mode = statSync(this.path).mode & 0o777;
        // the same rule as the case log's key file: a secret others could read is no longer one
        if (mode & 0o077) throw new AppFailure('IO_ERROR', `secret file ${this.path} is readable by others (mode ${mode.toString(8)}); run chmod 600`);
      }
      try {
        const parsed = JSON.parse(readFileSync(this.path, 'utf8')) as Partial<SecretFile>;
        if (parsed.version !== 1 || typeof parsed.secrets !== 'object' || parsed.secrets === null) throw new Error('not a secret file');
        for (const [name, value] of Object.entries(parsed.secrets)) if (typeof value === 'string') secrets.set(name, value);
      } catch (error) {
        const aside = `${this.path}.corrupt-${Date.now()}`;
        try {
          renameSync(this.path, aside);
        } catch {
          /* gone already */
        }
        this.log?.warn({ movedTo: aside, err: (error as Error).message }, 'secret file damaged; moved aside, tokens must be entered again');
      }
    }
    this.cache = secrets;
    return secrets;
  }

  /** Writes run one after another, each on the result of the one before (two saves at once both land). */
  private write(change: (secrets: Map<string, string>) => void): Promise<void> {
    const run = this.writes.then(async () => {
      const next = new Map(this.load());
      change(next);
      const file: SecretFile = { version: 1, secrets: Object.fromEntries(next) };
      await writeFileAtomic(this.path, `${JSON.stringify(file, null, 2)}\n`, 0o600);
      // the temp file was created 0600, but an umask can only take bits away: make sure, except where modes do not exist
      if (process.platform !== 'win32') chmodSync(this.path, 0o600);
      this.cache = next;
    });
    this.writes = run.catch(() => undefined);
    return run;
  }
}

/** Secrets for this process's lifetime only (tests; the CLI's --token). */
export class MemorySecretStore implements SecretStore {
  readonly description = 'memory';
  private readonly secrets = new Map<string, string>();
  get(name: string): string | null {
    return this.secrets.get(name) ?? null;
  }
  async set(name: string, value: string): Promise<void> {
    this.secrets.set(name, value);
  }
  async delete(name: string): Promise<boolean> {
    return this.secrets.delete(name);
  }
}

/** Refuses to store anything: the Electron app before a keystore-backed store is wired (fail closed, never plain text). */
export class UnavailableSecretStore implements SecretStore {
  constructor(readonly description: string) {}
  get(): string | null {
    return null;
  }
  async set(): Promise<void> {
    throw new AppFailure('UNAVAILABLE', `no secure place to keep the backend token (${this.description})`);
  }
  async delete(): Promise<boolean> {
    return false;
  }
}
