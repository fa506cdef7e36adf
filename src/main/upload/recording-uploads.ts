/**
 * Keeps one Uploader running against the backend URL currently configured, while that backend has a token —
 * CaseSync's job for the case log, for recordings; both on src/main/backend/backend-switch.ts (one change at a
 * time, the old uploader stopped with its request in flight before the next starts, the token asked always the
 * current origin's).
 */
import type { UploadStatus } from '../../shared/cases';
import { BackendSwitch, originOrNull } from '../backend/backend-switch';
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
  private readonly backends: BackendSwitch<Uploader>;

  constructor(private readonly options: RecordingUploadsOptions) {
    this.backends = new BackendSwitch<Uploader>({
      tokenFor: options.tokenFor,
      log: options.log,
      what: 'recording upload',
      onIdle: () => options.onStatus(this.status()),
      create: (serverUrl, isCurrent) =>
        new Uploader({
          ...options.uploader,
          source: options.source,
          serverUrl,
          tokenFor: options.tokenFor,
          logger: options.log,
          onStatus: (status) => isCurrent() && options.onStatus(status),
        }),
    });
  }

  /** Uploads to the backend at `serverUrl` (the same one again: a blocked uploader tries again). */
  connect(serverUrl: string): Promise<void> {
    return this.backends.connect(serverUrl);
  }

  /** A token was set or cleared. */
  refresh(): Promise<void> {
    return this.backends.refresh();
  }

  /** New events reached the backend, or a call ended: look for work now. */
  nudge(): void {
    this.backends.worker?.nudge();
  }

  retry(): void {
    this.backends.worker?.retry();
  }

  status(): UploadStatus {
    const uploader = this.backends.worker;
    if (uploader) return uploader.status();
    const url = this.backends.url;
    return { state: 'disabled', pending: 0, setAside: 0, current: null, lastSuccessAt: null, lastError: null, nextAttemptAt: null, server: url === null ? null : originOrNull(url) };
  }

  stop(): Promise<void> {
    return this.backends.stop();
  }
}
