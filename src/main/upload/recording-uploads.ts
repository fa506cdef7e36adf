/**
 * Keeps one Uploader running against the backend URL currently configured, while that backend has a token —
 * CaseSync's job for the case log (src/main/sync/case-sync.ts), for recordings. Changes are applied one at a
 * time and a replaced uploader is stopped (its request in flight aborted) before the next starts: nothing goes to
 * the old backend once connect() resolved, and the token asked is always the current origin's.
 */
import type { UploadStatus } from '../../shared/cases';
import { backendOrigin } from '../../shared/settings';
import type { Logger } from '../log/logger';
import type { TokenFor } from '../settings/backend-tokens';
import type { RecordingSource } from './recording-source';
import { Uploader, type UploaderOptions } from './uploader';

export interface RecordingUploadsOptions {
  source: RecordingSource;
  tokenFor: TokenFor;
  log: Logger;
  onStatus(status: UploadStatus): void;
  /** Tuning of each uploader (tests shorten intervals and backoff). */
  uploader?: Pick<UploaderOptions, 'intervalMs' | 'backoff' | 'requestTimeoutMs' | 'completeTimeoutMs' | 'maxRequestsPerSecond' | 'fetch' | 'random'>;
}

export class RecordingUploads {
  private uploader: Uploader | null = null;
  private url: string | null = null;
  private generation = 0;
  private closed = false;
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly options: RecordingUploadsOptions) {}

  /** Uploads to the backend at `serverUrl` (the same one again: a blocked uploader tries again). */
  connect(serverUrl: string): Promise<void> {
    return this.enqueue(() => this.apply(serverUrl));
  }

  /** A token was set or cleared. */
  refresh(): Promise<void> {
    return this.enqueue(() => (this.url === null ? Promise.resolve() : this.apply(this.url)));
  }

  /** New events reached the backend, or a call ended: look for work now. */
  nudge(): void {
    this.uploader?.nudge();
  }

  retry(): void {
    this.uploader?.retry();
  }

  status(): UploadStatus {
    if (this.uploader) return this.uploader.status();
    return { state: 'disabled', pending: 0, setAside: 0, current: null, lastSuccessAt: null, lastError: null, nextAttemptAt: null, server: this.url === null ? null : originOrNull(this.url) };
  }

  async stop(): Promise<void> {
    await this.enqueue(async () => {
      this.closed = true;
      const u = this.uploader;
      this.uploader = null;
      this.generation++;
      await u?.stop();
    });
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    const run = this.queue.then(step).catch((error: unknown) => this.options.log.error({ err: error instanceof Error ? error.message : String(error) }, 'changing the recording upload backend failed'));
    this.queue = run;
    return run;
  }

  private async apply(serverUrl: string): Promise<void> {
    if (this.closed) return;
    const origin = originOrNull(serverUrl);
    const hasToken = origin !== null && this.options.tokenFor(origin) !== undefined;
    if (serverUrl === this.url && this.uploader && hasToken) {
      this.uploader.retry();
      return;
    }
    const previous = this.uploader;
    this.uploader = null;
    this.url = serverUrl;
    const generation = ++this.generation;
    await previous?.stop();
    if (this.closed || generation !== this.generation) return;
    if (!hasToken) {
      this.options.onStatus(this.status());
      return;
    }
    try {
      this.uploader = new Uploader({
        ...this.options.uploader,
        source: this.options.source,
        serverUrl,
        tokenFor: this.options.tokenFor,
        logger: this.options.log,
        onStatus: (status) => generation === this.generation && this.options.onStatus(status),
      });
    } catch (error) {
      this.options.log.warn({ err: error instanceof Error ? error.message : String(error) }, 'recording uploads cannot use this backend URL');
      this.options.onStatus(this.status());
      return;
    }
    this.uploader.start();
  }
}

function originOrNull(url: string): string | null {
  try {
    return backendOrigin(url);
  } catch {
    return null;
  }
}
