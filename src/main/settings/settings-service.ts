import { readFile, rename } from 'node:fs/promises';
import type { Notice } from '../../shared/contract';
import { AppFailure } from '../../shared/errors';
import { DEFAULT_SETTINGS, isSecureBackendUrl, SettingsSchema, type Settings, type SettingsPatch } from '../../shared/settings';
import { writeFileAtomic } from '../fs/atomic-write';
import type { Logger } from '../log/logger';

export interface SettingsServiceOptions {
  path: string;
  log: Logger;
  onChange?: (settings: Settings) => void;
}

/**
 * Settings persisted as schema-validated JSON, written atomically.
 * A corrupt or invalid file is moved aside (`.corrupt-<time>`), reported as a notice, and replaced by defaults.
 */
export class SettingsService {
  private current: Settings = DEFAULT_SETTINGS;
  private readonly startupNotices: Notice[] = [];

  constructor(private readonly options: SettingsServiceOptions) {}

  async load(): Promise<Settings> {
    const { path, log } = this.options;
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        this.current = DEFAULT_SETTINGS;
        return this.current;
      }
      throw new AppFailure('IO_ERROR', `cannot read settings: ${(error as Error).message}`);
    }
    const parsed = safeJson(text);
    const result = parsed.ok ? SettingsSchema.safeParse({ ...DEFAULT_SETTINGS, ...(parsed.value as object) }) : undefined;
    if (result?.success) {
      this.current = result.data;
      return this.current;
    }
    // A file of an older version may point at a plain-http backend elsewhere, which is refused now (the token would
    // cross the network readable): keep everything else, fall back to the default backend, and say so.
    if (parsed.ok && isInsecureBackendUrl((parsed.value as { backendUrl?: unknown }).backendUrl)) {
      const kept = SettingsSchema.safeParse({ ...DEFAULT_SETTINGS, ...(parsed.value as object), backendUrl: DEFAULT_SETTINGS.backendUrl });
      if (kept.success) {
        const refused = String((parsed.value as { backendUrl: string }).backendUrl);
        log.warn({ refused }, 'settings: the backend URL is plain http to another host; the default backend is used until an https URL is set');
        this.startupNotices.push({ level: 'warning', code: 'INVALID_INPUT', key: 'backendUrlInsecure', detail: refused });
        this.current = kept.data;
        await writeFileAtomic(path, JSON.stringify(this.current, null, 2));
        return this.current;
      }
    }
    const reason = parsed.ok ? (result?.error.issues[0]?.message ?? 'invalid') : parsed.error;
    const aside = `${path}.corrupt-${Date.now()}`;
    await rename(path, aside).catch(() => undefined);
    log.warn({ reason, movedTo: aside }, 'settings file corrupt; defaults restored');
    this.startupNotices.push({ level: 'warning', code: 'CORRUPT_INPUT', key: 'settingsCorrupt', detail: reason });
    this.current = DEFAULT_SETTINGS;
    await writeFileAtomic(path, JSON.stringify(this.current, null, 2));
    return this.current;
  }

  get(): Settings {
    return this.current;
  }

  notices(): Notice[] {
    return [...this.startupNotices];
  }

  /**
   * Applies a patch. Updates run one after another, each on the result of the one before, so two settings
   * changed at the same moment (two windows, a renderer and the CLI) both land — none is lost.
   */
  update(patch: SettingsPatch): Promise<Settings> {
    const run = this.queue.then(() => this.apply(patch));
    // a refused update must not block the ones after it
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private queue: Promise<void> = Promise.resolve();

  /**
   * Runs `step` after every update asked before it, on the settings those leave behind (settings.setBackendToken
   * binds the token to the backend URL the agent saved just before, not to the one before that).
   */
  afterPending<T>(step: (current: Settings) => Promise<T>): Promise<T> {
    const run = this.queue.then(() => step(this.current));
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async apply(patch: SettingsPatch): Promise<Settings> {
    const next = SettingsSchema.parse({ ...this.current, ...patch });
    await writeFileAtomic(this.options.path, JSON.stringify(next, null, 2));
    this.current = next;
    this.options.onChange?.(next);
    return next;
  }
}

/** An http(s) URL that is well formed but plain http to a host other than loopback. */
function isInsecureBackendUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' && !isSecureBackendUrl(value);
  } catch {
    return false;
  }
}

function safeJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, error: 'not a JSON object' };
    return { ok: true, value };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}
