/**
 * The console's view of a backend case's recordings (docs/recording-upload.md): the list, each with a media URL
 * for the ReplayPanel, and the media route itself — `/media/backend-recordings/<id>?t=…` on the headless host,
 * `app://veridesk/media/backend-recordings/<id>?t=…` in Electron. A <video> cannot send the lead's token (and the
 * renderer never holds it), so main checks its own media token (label "vd-backend-media": a case-page token for a
 * local recording opens nothing here) and fetches GET /api/v1/recordings/:id with the lead token for the current
 * origin, never through a redirect, passing Range on and the status, length and range back as they came.
 *
 *   403 no, forged, expired or local token; or the backend refused the token (not a lead's)
 *   404 unknown   409 still uploading   410 purged by retention   416 range past the end
 *   502 the backend answered something else, or not at all   503 no token for the current backend
 */
import { z } from 'zod';
import { RecordingIdSchema } from '../../shared/call';
import { CaseIdSchema } from '../../shared/cases';
import { AppFailure } from '../../shared/errors';
import { backendOrigin } from '../../shared/settings';
import type { CaseRecording } from '../../shared/review';
import { networkReason } from '../backend/backend-response';
import { backendEndpoint } from '../call/backend-urls';
import type { Logger } from '../log/logger';
import { MEDIA_TOKEN_SLACK_MS } from '../review/case-review';
import type { MediaTokens } from '../review/media-token';
import type { MediaReply, MediaRequest } from '../review/recording-media';
import type { TokenFor } from '../settings/backend-tokens';
import type { LeadApi } from './lead-api';

export const BACKEND_MEDIA_LABEL = 'vd-backend-media';

const headersOf = (status: number, extra: Record<string, string> = {}): MediaReply => ({
  status,
  headers: { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', ...extra },
  body: null,
});

/** The server's summary of one recording (server/recordings/routes.ts summary()). */
const ServerRecordingSchema = z.object({
  recordingId: RecordingIdSchema,
  caseId: CaseIdSchema,
  track: z.enum(['customer', 'agent']),
  mimeType: z.string(),
  state: z.enum(['uploading', 'complete', 'purged']),
  chunks: z.number().int(),
  bytes: z.number().int(),
  durationMs: z.number().nullable(),
  seekable: z.boolean(),
  recordedAt: z.number(),
  completedAt: z.number().nullable(),
  purgedAt: z.number().nullable(),
});
const ListSchema = z.object({ recordings: z.array(ServerRecordingSchema.passthrough()) });

export interface BackendRecordingsOptions {
  api: LeadApi;
  tokens: MediaTokens;
  /** (recording id, token) → the URL a <video> is given (mediaUrlFor with MEDIA_BACKEND_RECORDINGS_PATH). */
  mediaUrl: (recordingId: string, token: string) => string;
}

/** GET /api/v1/recordings?caseId=…, as the ReplayPanel's recordings: only complete ones get a media URL. */
export async function backendCaseRecordings(caseId: string, options: BackendRecordingsOptions): Promise<CaseRecording[]> {
  const body = await options.api.request<unknown>('GET', `api/v1/recordings?caseId=${encodeURIComponent(caseId)}`);
  const parsed = ListSchema.safeParse(body);
  if (!parsed.success || parsed.data.recordings.some((r) => r.caseId !== caseId)) {
    throw new AppFailure('BACKEND_REFUSED', 'MALFORMED_RESPONSE: GET /api/v1/recordings did not answer as the recording API does');
  }
  return parsed.data.recordings.map((r) => {
    const grant = r.state === 'complete' ? options.tokens.mint(r.recordingId, (r.durationMs ?? 0) + MEDIA_TOKEN_SLACK_MS) : null;
    return {
      recordingId: r.recordingId,
      track: r.track,
      startedAt: r.recordedAt,
      stoppedAt: r.durationMs === null ? null : r.recordedAt + r.durationMs,
      durationMs: r.durationMs,
      // still uploading reads as still recording: it has no media yet
      state: r.state === 'purged' ? 'purged' : r.state === 'complete' ? 'stopped' : 'recording',
      seekable: r.seekable,
      chunks: r.chunks,
      bytes: r.bytes,
      mediaUrl: grant ? options.mediaUrl(r.recordingId, grant.token) : null,
      mediaExpiresAt: grant?.expiresAt ?? null,
    };
  });
}

export interface BackendRecordingMediaOptions {
  backendUrl: () => string;
  tokenFor: TokenFor;
  /** Labelled BACKEND_MEDIA_LABEL (MediaTokens.withLabel). */
  tokens: MediaTokens;
  log: Logger;
  fetchImpl?: typeof fetch;
  /** Until the backend's headers come (the body then streams as long as the <video> reads). */
  timeoutMs?: number;
}

/** The response headers passed back; anything else the backend sends (cookies, server names) stays there. */
const PASSED = ['content-type', 'content-length', 'content-range', 'accept-ranges'] as const;
const CANONICAL: Record<(typeof PASSED)[number], string> = { 'content-type': 'Content-Type', 'content-length': 'Content-Length', 'content-range': 'Content-Range', 'accept-ranges': 'Accept-Ranges' };

export class BackendRecordingMedia {
  constructor(private readonly options: BackendRecordingMediaOptions) {}

  async serve(request: MediaRequest): Promise<MediaReply> {
    const { log, tokens } = this.options;
    if (request.method !== 'GET' && request.method !== 'HEAD') return headersOf(405, { Allow: 'GET, HEAD' });
    if (!RecordingIdSchema.safeParse(request.recordingId).success) return headersOf(404);
    const check = tokens.check(request.recordingId, request.token);
    if (check !== 'ok') {
      log.warn({ recordingId: request.recordingId, why: check }, 'backend recording media request refused');
      return headersOf(403);
    }
    const backendUrl = this.options.backendUrl();
    const origin = backendOrigin(backendUrl);
    const lead = this.options.tokenFor(origin);
    if (!lead) return headersOf(503);

    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new Error('the backend did not answer in time')), this.options.timeoutMs ?? 15_000);
    let response: Response;
    try {
      response = await (this.options.fetchImpl ?? fetch)(backendEndpoint(backendUrl, `api/v1/recordings/${encodeURIComponent(request.recordingId)}`), {
        method: request.method,
        headers: { authorization: `Bearer ${lead}`, ...(request.range ? { range: request.range } : {}) },
        redirect: 'manual',
        signal: abort.signal,
      });
    } catch (error) {
      log.warn({ recordingId: request.recordingId, err: networkReason(error) }, 'backend recording unreachable');
      return headersOf(502);
    } finally {
      clearTimeout(timer);
    }

    const status = response.status;
    if (status !== 200 && status !== 206) {
      await response.body?.cancel().catch(() => undefined);
      if (status === 416) {
        const range = response.headers.get('content-range');
        return headersOf(416, { 'Accept-Ranges': 'bytes', ...(range ? { 'Content-Range': range } : {}) });
      }
      if (status === 404 || status === 409 || status === 410) return headersOf(status);
      // 401/403: the token is not (or no longer) a lead's; a redirect is never followed with the token
      log.warn({ recordingId: request.recordingId, status }, 'backend refused a recording read');
      return headersOf(status === 401 || status === 403 ? 403 : 502);
    }
    const headers: Record<string, string> = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' };
    for (const name of PASSED) {
      const value = response.headers.get(name);
      if (value !== null) headers[CANONICAL[name]] = value;
    }
    if (!/^video\/webm(;|$)/.test(headers['Content-Type'] ?? '')) headers['Content-Type'] = 'video/webm';
    if (request.method === 'HEAD' || !response.body) {
      await response.body?.cancel().catch(() => undefined);
      return { status, headers, body: null };
    }
    return { status, headers, body: streamBody(response.body, abort, (error) => log.warn({ recordingId: request.recordingId, err: networkReason(error) }, 'backend recording stream failed')) };
  }
}

/** The backend's body as Buffers; a reader that stops (a <video> abandons ranges) cancels the backend request. */
async function* streamBody(body: ReadableStream<Uint8Array>, abort: AbortController, onError: (error: unknown) => void): AsyncGenerator<Buffer> {
  const reader = body.getReader();
  let done = false;
  try {
    for (;;) {
      const next = await reader.read();
      if (next.done) {
        done = true;
        return;
      }
      yield Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
    }
  } catch (error) {
    onError(error);
    throw error;
  } finally {
    if (!done) {
      abort.abort();
      await reader.cancel().catch(() => undefined);
    }
    reader.releaseLock();
  }
}
