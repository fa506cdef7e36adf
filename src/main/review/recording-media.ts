/**
 * GET/HEAD of one recording for a <video> element, the same answer for both transports (the headless host's
 * `/media/recordings/<id>?t=…` in src/main/host/media-route.ts, Electron's `app://veridesk/media/recordings/<id>?t=…`
 * in src/main/app/app-protocol.ts): the token checked, the recording looked up, the Range honoured (206 with
 * Content-Range), the bytes decrypted on the fly by the range reader. Never a clear file, and `no-store` so the
 * browser does not keep a clear copy in its disk cache either.
 *
 *   403 no, malformed, forged or expired token, or one minted for another recording
 *   404 unknown recording      410 purged by retention      416 a range past the end
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { RecordingIdSchema } from '../../shared/call';
import { AppFailure } from '../../shared/errors';
import type { Logger } from '../log/logger';
import type { PlaybackSource } from '../recording/playable-layout';
import type { RecordingInfo } from '../recording/recording-service';
import { parseRange } from '../../common/byte-range';
import type { MediaTokens } from './media-token';
import { bufferRange, openPlaintextRange, type PlaintextRange } from './recording-range';

/** The part of RecordingService the media route reads. */
export interface RecordingReader {
  find(recordingId: string): RecordingInfo | null;
  playbackSource(recordingId: string): PlaybackSource;
  readPlayable(recordingId: string): Promise<Buffer>;
}

export interface MediaRequest {
  method: string;
  recordingId: string;
  token: string | null;
  range: string | null;
}

/** A transport-neutral answer: each transport turns `body` into its own stream. */
export interface MediaReply {
  status: number;
  headers: Record<string, string>;
  body: AsyncIterable<Buffer> | null;
}

export interface RecordingMediaOptions {
  recordings: RecordingReader;
  tokens: MediaTokens;
  log: Logger;
}

const FORMAT_VDRS = 'vdrs1';
/** Chunks between two yields to the event loop while a long range streams. */
const YIELD_EVERY = 4;

const plain = (status: number, extra: Record<string, string> = {}): MediaReply => ({
  status,
  headers: { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', ...extra },
  body: null,
});

export class RecordingMedia {
  constructor(private readonly options: RecordingMediaOptions) {}

  async serve(request: MediaRequest): Promise<MediaReply> {
    const { log, recordings, tokens } = this.options;
    if (request.method !== 'GET' && request.method !== 'HEAD') return plain(405, { Allow: 'GET, HEAD' });
    if (!RecordingIdSchema.safeParse(request.recordingId).success) return plain(404);
    const check = tokens.check(request.recordingId, request.token);
    if (check !== 'ok') {
      // never the token itself in the log
      log.warn({ recordingId: request.recordingId, why: check }, 'recording media request refused');
      return plain(403);
    }
    const info = recordings.find(request.recordingId);
    if (!info) return plain(404);
    if (info.purgedAt !== null) return plain(410);

    let open: () => PlaintextRange;
    let size: number;
    try {
      if (info.format === FORMAT_VDRS) {
        // one snapshot of the index for the probe and the body: both see the same layout even while it is written
        const source = recordings.playbackSource(request.recordingId);
        open = () => openPlaintextRange(source);
      } else {
        const whole = bufferRange(await recordings.readPlayable(request.recordingId));
        open = () => whole;
      }
      const probe = open();
      size = probe.size;
      probe.close();
    } catch (error) {
      return this.failure(request.recordingId, error);
    }

    const type = /^video\/webm(;|$)/.test(info.mimeType ?? '') ? info.mimeType! : 'video/webm';
    const headers = { 'Content-Type': type, 'Accept-Ranges': 'bytes', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' };
    const range = parseRange(request.range, size);
    if (range.kind === 'unsatisfiable') return plain(416, { 'Content-Range': `bytes */${size}`, 'Accept-Ranges': 'bytes' });
    const [start, end, status] = range.kind === 'range' ? [range.start, range.end, 206] : [0, size - 1, 200];
    const length = size === 0 ? 0 : end - start + 1;
    const reply: MediaReply = {
      status,
      headers: { ...headers, 'Content-Length': String(length), ...(status === 206 ? { 'Content-Range': `bytes ${start}-${end}/${size}` } : {}) },
      body: null,
    };
    if (request.method === 'HEAD' || length === 0) return reply;
    reply.body = rangeBody(open, size, start, end, (error) => log.error({ recordingId: request.recordingId, err: error instanceof Error ? error.message : String(error) }, 'recording stream failed'));
    return reply;
  }

  private failure(recordingId: string, error: unknown): MediaReply {
    if (error instanceof AppFailure && error.code === 'NOT_FOUND') return plain(/purged/.test(error.message) ? 410 : 404);
    this.options.log.error({ recordingId, err: error instanceof Error ? error.message : String(error) }, 'recording cannot be served');
    return plain(500);
  }
}

/**
 * The bytes [start, end]. The file is opened when the body is first read and closed when it ends, fails or is
 * abandoned (a <video> cancels most of its requests part way), so nothing stays open after the response.
 */
async function* rangeBody(open: () => PlaintextRange, size: number, start: number, end: number, onError: (error: unknown) => void): AsyncGenerator<Buffer> {
  const reader = open();
  try {
    if (reader.size !== size) throw new AppFailure('CORRUPT_INPUT', 'the recording changed between the headers and the body');
    let n = 0;
    for (const piece of reader.read(start, end)) {
      yield piece;
      if (++n % YIELD_EVERY === 0) await yieldToEventLoop();
    }
  } catch (error) {
    onError(error);
    throw error;
  } finally {
    reader.close();
  }
}
