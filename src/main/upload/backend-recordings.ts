/**
 * The backend's recording upload API (server/recordings/routes.ts, docs/recording-upload.md), for one backend
 * origin. The same rules as the sync client (src/main/sync/sync-client.ts): the token is asked for this origin at
 * every request, redirects are refused (following one would hand the token and the media to wherever it points),
 * https only except on loopback. Failures are SyncErrors with the server's code and whether a retry can fix them.
 */
import { AppFailure } from '../../shared/errors';
import { backendOrigin, HTTPS_REQUIRED_MESSAGE, isSecureBackendUrl } from '../../shared/settings';
import type { TokenFor } from '../settings/backend-tokens';
import { SyncError } from '../sync/sync-client';

export const RECORDINGS_API = '/api/v1/recordings';

/** GET …/status and the answers of upload and complete. */
export interface ServerUploadStatus {
  recordingId: string;
  caseId: string;
  state: 'uploading' | 'complete' | 'purged';
  chunks: number;
  bytes: number;
  seekable: boolean;
  held: number[];
  seekHeader: boolean;
}

/** A refusal, with what the server added to it (the seqs it misses) and how long a 429 asks to wait. */
export class UploadError extends SyncError {
  constructor(
    code: string,
    message: string,
    status: number | null,
    retryable: boolean,
    readonly details: Record<string, unknown> = {},
    readonly retryAfterMs: number | null = null,
  ) {
    super(code, message, status, retryable);
    this.name = 'UploadError';
  }
}

export interface BackendRecordingsOptions {
  serverUrl: string;
  token?: string;
  tokenFor?: TokenFor;
  fetch?: typeof fetch;
  /** Per request (default 30 s); complete reads the whole recording back on the server, so it gets `completeTimeoutMs`. */
  requestTimeoutMs?: number;
  completeTimeoutMs?: number;
  /** Aborts the request in flight (the uploader's stop()). */
  signal?: AbortSignal;
}

export class BackendRecordings {
  readonly origin: string;
  private readonly base: string;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: BackendRecordingsOptions) {
    if (!isSecureBackendUrl(options.serverUrl)) throw new AppFailure('INVALID_INPUT', `${HTTPS_REQUIRED_MESSAGE}: ${options.serverUrl}`);
    if (!options.token && !options.tokenFor) throw new AppFailure('INVALID_INPUT', 'uploading recordings needs a backend token');
    this.origin = backendOrigin(options.serverUrl);
    this.base = options.serverUrl.replace(/\/+$/, '');
    this.fetchImpl = options.fetch ?? fetch;
  }

  begin(recordingId: string, caseId: string): Promise<ServerUploadStatus> {
    return this.json('POST', `/${recordingId}/upload`, { caseId });
  }

  status(recordingId: string): Promise<ServerUploadStatus> {
    return this.json('GET', `/${recordingId}/status`);
  }

  /** True when the server stored it now, false when it already held the same bytes. */
  async putChunk(recordingId: string, seq: number, bytes: Buffer, sha256: string): Promise<boolean> {
    const r = await this.json<{ stored: boolean }>('PUT', `/${recordingId}/chunks/${seq}`, bytes, { 'x-chunk-sha256': sha256 });
    return r.stored;
  }

  async putSeekHeader(recordingId: string, metadata: Buffer, sha256: string, replacedBytes: number): Promise<boolean> {
    const r = await this.json<{ stored: boolean }>('PUT', `/${recordingId}/seek-header`, metadata, { 'x-chunk-sha256': sha256, 'x-replaced-bytes': String(replacedBytes) });
    return r.stored;
  }

  complete(recordingId: string, digests: { sha256: string; chunkListSha256: string }): Promise<ServerUploadStatus> {
    return this.json('POST', `/${recordingId}/complete`, digests, {}, this.options.completeTimeoutMs ?? 300_000);
  }

  private token(): string {
    const token = this.options.tokenFor ? this.options.tokenFor(this.origin) : this.options.token;
    if (!token) throw new UploadError('NO_TOKEN', `no backend token for ${this.origin}: enter one in 设置 (Settings)`, null, false);
    return token;
  }

  private async json<T>(method: 'GET' | 'POST' | 'PUT', path: string, body?: Buffer | object, headers: Record<string, string> = {}, timeoutMs?: number): Promise<T> {
    const signal = this.options.signal;
    if (signal?.aborted) throw new UploadError('STOPPED', 'uploader stopped', null, false);
    const binary = Buffer.isBuffer(body);
    let response: Response;
    try {
      response = await this.fetchImpl(`${this.base}${RECORDINGS_API}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.token()}`,
          ...(body === undefined ? {} : { 'content-type': binary ? 'application/octet-stream' : 'application/json' }),
          ...headers,
        },
        body: body === undefined ? undefined : binary ? new Uint8Array(body.buffer, body.byteOffset, body.byteLength) : JSON.stringify(body),
        redirect: 'manual',
        signal: AbortSignal.any([...(signal ? [signal] : []), AbortSignal.timeout(timeoutMs ?? this.options.requestTimeoutMs ?? 30_000)]),
      });
    } catch (error) {
      if (error instanceof UploadError) throw error;
      if (signal?.aborted) throw new UploadError('STOPPED', 'uploader stopped', null, false);
      throw new UploadError('UNAVAILABLE', `backend unreachable: ${error instanceof Error ? error.message : String(error)}`, null, true);
    }
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel().catch(() => undefined);
      throw new UploadError('REDIRECT_REFUSED', `the backend answered with a redirect (HTTP ${response.status}); the token is never sent on: set the final URL in 设置 (Settings)`, response.status, false);
    }
    const text = await response.text().catch(() => '');
    if (!response.ok) {
      let code = 'INTERNAL';
      let message = `HTTP ${response.status}`;
      let details: Record<string, unknown> = {};
      try {
        const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } & Record<string, unknown> };
        if (parsed.error && typeof parsed.error.code === 'string') {
          const { code: c, message: m, ...rest } = parsed.error;
          code = c as string;
          message = typeof m === 'string' ? m : message;
          details = rest;
        }
      } catch {
        /* not our error body (a proxy's page) */
      }
      const retryable = response.status >= 500 || response.status === 408 || response.status === 429;
      const after = Number(response.headers.get('retry-after'));
      throw new UploadError(code, message, response.status, retryable, details, Number.isFinite(after) && after > 0 ? after * 1000 : null);
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new UploadError('INTERNAL', 'backend answered with invalid JSON', response.status, true);
    }
  }
}
