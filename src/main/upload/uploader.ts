/**
 * Sends the workstation's sealed recordings to the backend after their calls (DESIGN.md §8,
 * docs/recording-upload.md): one recording at a time, one chunk at a time, each chunk's plaintext with its
 * sha256 from recording_chunks; the backend recomputes it, stores the chunk encrypted under its own key, and
 * completes the upload only when the chunk-list sha256 and the whole-file sha256 are those of the case log.
 *
 * Resumable, with the state on the server: every recording starts with `upload` (idempotent) whose answer
 * lists the chunks the server holds, and only the others are sent — after a crash, a kill or a restart of the
 * app nothing is sent twice and nothing is lost (a chunk sent again is a no-op on the server anyway). The local
 * "done" note only spares asking the server about finished recordings again.
 *
 * The loop is the sync client's: exponential backoff with jitter on failures a retry can fix (network, 5xx,
 * 429 with its Retry-After), 'blocked' on those only a person can (token, redirect). A refusal about one
 * recording (owned elsewhere, digests that are not the case log's, a damaged local file) sets that recording
 * aside for this run and the others go on; one whose case is not synced yet waits for the next pass.
 */
import type { UploadStatus } from '../../shared/cases';
import { AppFailure } from '../../shared/errors';
import type { Logger } from '../log/logger';
import { silentLogger } from '../log/logger';
import { sha256Hex } from '../recording/chunk-reader';
import type { TokenFor } from '../settings/backend-tokens';
import { SyncError } from '../sync/sync-client';
import { BackendRecordings, UploadError, type ServerUploadStatus } from './backend-recordings';
import type { OpenRecording, RecordingSource, UploadCandidate } from './recording-source';
import { backoffDelay, WorkLoop } from '../backend/work-loop';

export interface UploaderOptions {
  source: RecordingSource;
  serverUrl: string;
  token?: string;
  tokenFor?: TokenFor;
  fetch?: typeof fetch;
  logger?: Logger;
  onStatus?: (status: UploadStatus) => void;
  /** Each chunk the server acknowledged (`stored` false: it held it already). Tests and the bench watch these. */
  onChunk?: (e: { recordingId: string; seq: number; stored: boolean }) => void;
  backoff?: { baseMs?: number; maxMs?: number };
  /** How often an idle uploader looks for new sealed recordings (and retries deferred ones). */
  intervalMs?: number;
  requestTimeoutMs?: number;
  completeTimeoutMs?: number;
  /**
   * Requests per second at most (default 15; 0: no pacing). Uploads share the token's request budget with sync
   * (1200/min by default, server/auth/rate-limit.ts): 15/s leaves a quarter of it to everything else.
   */
  maxRequestsPerSecond?: number;
  random?: () => number;
}

export interface UploadRunResult {
  /** Recordings completed on the server in this run. */
  completed: number;
  chunksSent: number;
  /** Chunks the server already held (resumed). */
  chunksHeld: number;
  /** Recordings whose case or sealing event is not on the server yet. */
  deferred: number;
  /** Recordings refused one by one in this run. */
  setAside: number;
  pending: number;
}

/** Refusals about one recording: it is set aside, the others go on. */
const RECORDING_REFUSALS = new Set(['CASE_OWNED_ELSEWHERE', 'RECORDING_FAILED', 'DIGEST_MISMATCH', 'CHUNK_CONFLICT', 'INVALID_PAYLOAD', 'PAYLOAD_TOO_LARGE', 'CORRUPT_INPUT', 'NOT_FOUND']);
/** Not yet: the case (or its recording.stopped) is still on its way up. */
const DEFERRALS = new Set(['NOT_SYNCED']);

const DEFER_FIRST_MS = 5_000;
const DEFER_MAX_MS = 5 * 60_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** How often chunk progress is reported (state changes are reported at once). */
const PROGRESS_EVERY_MS = 250;

export class Uploader {
  private readonly log: Logger;
  private readonly backend: BackendRecordings;
  readonly origin: string;
  private current: UploadStatus;
  private readonly stopping = new AbortController();
  private readonly setAside = new Map<string, string>();
  /**
   * Recordings whose case is not on the server yet, and when to ask again: their own backoff (5 s doubling to 5 min),
   * which a nudge does not reset, so a case held back by sync does not cost a request at every pass.
   */
  private readonly deferred = new Map<string, { until: number; delayMs: number }>();
  private failures = 0;
  /** Attempt, then wait: the interval when healthy, the backoff after a failure, until retry() when blocked. */
  private readonly loop = new WorkLoop({
    attempt: async () => (await this.attempt()) !== null,
    waitMs: (ok) => (this.current.state === 'blocked' ? null : ok ? (this.options.intervalMs ?? 15_000) : Math.max(0, (this.current.nextAttemptAt ?? Date.now()) - Date.now())),
  });
  private lastRequestAt = 0;
  private lastProgressAt = 0;

  constructor(private readonly options: UploaderOptions) {
    this.log = options.logger ?? silentLogger;
    this.backend = new BackendRecordings({ ...options, signal: this.stopping.signal });
    this.origin = this.backend.origin;
    this.current = { state: 'idle', pending: 0, setAside: 0, current: null, lastSuccessAt: null, lastError: null, nextAttemptAt: null, server: this.origin };
    this.current.pending = this.countPending();
  }

  status(): UploadStatus {
    return { ...this.current, current: this.current.current ? { ...this.current.current } : null };
  }

  private setStatus(patch: Partial<UploadStatus>, progressOnly = false): void {
    const now = performance.now();
    this.current = { ...this.current, ...patch, setAside: this.setAside.size };
    if (progressOnly && now - this.lastProgressAt < PROGRESS_EVERY_MS) return;
    this.lastProgressAt = now;
    this.options.onStatus?.(this.status());
  }

  private candidates(): UploadCandidate[] {
    return this.options.source.sealed().filter((c) => !this.options.source.isDone(this.origin, c.recordingId));
  }

  private countPending(): number {
    try {
      return this.candidates().length;
    } catch {
      return 0;
    }
  }

  /** Paces requests to maxRequestsPerSecond. */
  private async pace(): Promise<void> {
    const rps = this.options.maxRequestsPerSecond ?? 15;
    if (rps > 0) {
      const wait = this.lastRequestAt + 1000 / rps - performance.now();
      if (wait > 0) await sleep(wait);
    }
    if (this.stopping.signal.aborted) throw new UploadError('STOPPED', 'uploader stopped', null, false);
    this.lastRequestAt = performance.now();
  }

  /** Uploads every pending recording once. Throws on the first failure that is not one recording's. */
  async uploadOnce(): Promise<UploadRunResult> {
    const result: UploadRunResult = { completed: 0, chunksSent: 0, chunksHeld: 0, deferred: 0, setAside: 0, pending: 0 };
    for (const c of this.candidates()) {
      if (this.stopping.signal.aborted) throw new UploadError('STOPPED', 'uploader stopped', null, false);
      if (this.setAside.has(c.recordingId)) continue;
      const wait = this.deferred.get(c.recordingId);
      if (wait && wait.until > Date.now()) {
        result.deferred++;
        continue;
      }
      try {
        await this.uploadRecording(c, result);
      } catch (error) {
        const code = error instanceof SyncError || error instanceof AppFailure ? error.code : null;
        if (code !== null && DEFERRALS.has(code)) {
          result.deferred++;
          const delayMs = Math.min(DEFER_MAX_MS, wait ? wait.delayMs * 2 : DEFER_FIRST_MS);
          this.deferred.set(c.recordingId, { until: Date.now() + delayMs, delayMs });
          this.log.info({ recordingId: c.recordingId, caseId: c.caseId, code }, 'recording upload waits for its case to sync');
          continue;
        }
        if (code !== null && RECORDING_REFUSALS.has(code)) {
          this.setAside.set(c.recordingId, code);
          result.setAside++;
          const message = error instanceof Error ? error.message : String(error);
          this.log.warn({ recordingId: c.recordingId, caseId: c.caseId, code, server: this.origin }, `recording upload refused and set aside: ${message}`);
          this.setStatus({ lastError: { code, message, at: Date.now() } });
          continue;
        }
        throw error;
      } finally {
        this.setStatus({ current: null, pending: this.countPending() });
      }
    }
    result.pending = this.countPending();
    return result;
  }

  private async uploadRecording(c: UploadCandidate, result: UploadRunResult): Promise<void> {
    const id = c.recordingId;
    await this.pace();
    let server = await this.backend.begin(id, c.caseId);
    this.deferred.delete(id);
    if (server.state !== 'uploading') return this.done(c, server.state);
    if (server.chunks !== c.chunks || server.bytes !== c.bytes) {
      throw new UploadError('DIGEST_MISMATCH', `the backend's case log says recording ${id} has ${server.chunks} chunks / ${server.bytes} bytes, this workstation has ${c.chunks} / ${c.bytes}`, 409, false);
    }
    const file = this.options.source.open(id);
    try {
      // a chunk storage lost is sent again once: complete tells which (409 INCOMPLETE), then status agrees
      for (let round = 0; ; round++) {
        await this.sendMissing(c, file, server, result);
        await this.pace();
        try {
          const done = await this.backend.complete(id, { sha256: c.sha256, chunkListSha256: c.chunkListSha256 });
          result.completed++;
          this.failures = 0;
          this.log.info({ recordingId: id, caseId: c.caseId, chunks: c.chunks, bytes: c.bytes, server: this.origin }, 'recording uploaded');
          this.setStatus({ lastSuccessAt: Date.now() });
          return this.done(c, done.state);
        } catch (error) {
          if (!(error instanceof UploadError) || error.code !== 'INCOMPLETE' || round >= 1) throw error;
          await this.pace();
          server = await this.backend.status(id);
        }
      }
    } finally {
      file.close();
    }
  }

  private async sendMissing(c: UploadCandidate, file: OpenRecording, server: ServerUploadStatus, result: UploadRunResult): Promise<void> {
    const id = c.recordingId;
    const held = new Set(server.held);
    let bytesDone = 0;
    let chunksDone = 0;
    const progress = (final = false) =>
      this.setStatus({ state: 'uploading', current: { recordingId: id, caseId: c.caseId, chunksDone, chunks: c.chunks, bytesDone, bytes: c.bytes } }, !final);
    if (held.size > 0) this.log.info({ recordingId: id, held: held.size, chunks: c.chunks }, 'recording upload resumed');
    for (let seq = 0; seq < c.chunks; seq++) {
      if (held.has(seq)) {
        result.chunksHeld++;
        chunksDone++;
        bytesDone += file.length(seq);
        continue;
      }
      const bytes = file.chunk(seq);
      await this.pace();
      const stored = await this.backend.putChunk(id, seq, bytes, file.digest(seq));
      if (stored) result.chunksSent++;
      else result.chunksHeld++;
      chunksDone++;
      bytesDone += bytes.length;
      this.options.onChunk?.({ recordingId: id, seq, stored });
      progress();
    }
    if (c.seekable && !server.seekHeader) {
      const header = file.seekHeader();
      if (header) {
        await this.pace();
        await this.backend.putSeekHeader(id, header.metadata, sha256Hex(header.metadata), header.replacedBytes);
      }
    }
    progress(true);
  }

  private done(c: UploadCandidate, state: string): void {
    this.options.source.markDone(this.origin, c.recordingId, state);
  }

  /** One pass with status reporting; never throws. */
  async attempt(): Promise<UploadRunResult | null> {
    try {
      this.setStatus({ state: 'uploading' });
      const r = await this.uploadOnce();
      this.failures = 0;
      this.setStatus({ state: 'idle', lastError: this.setAside.size > 0 ? this.current.lastError : null, nextAttemptAt: null, current: null, pending: r.pending });
      return r;
    } catch (error) {
      const e = error instanceof SyncError ? error : new SyncError('INTERNAL', error instanceof Error ? error.message : String(error), null, true);
      if (e.code === 'STOPPED') return null;
      this.failures++;
      const lastError = { code: e.code, message: e.message, at: Date.now() };
      if (!e.retryable) {
        this.log.warn({ code: e.code, status: e.status, server: this.origin }, `recording upload blocked: ${e.message}`);
        this.setStatus({ state: 'blocked', lastError, nextAttemptAt: null, current: null });
        return null;
      }
      const delay = Math.max(this.backoffDelay(), error instanceof UploadError && error.retryAfterMs !== null ? error.retryAfterMs : 0);
      this.log.warn({ code: e.code, status: e.status, failures: this.failures, retryInMs: delay }, `recording upload failed: ${e.message}`);
      this.setStatus({ state: 'backoff', lastError, nextAttemptAt: Date.now() + delay, current: null });
      return null;
    }
  }

  /** Exponential in the failure count, capped, with jitter (the sync client's). */
  backoffDelay(): number {
    return backoffDelay(this.failures, this.options.backoff, this.options.random);
  }

  start(): void {
    this.loop.start();
  }

  /** Something changed (sync pushed events, a call ended): look now, unless backing off or blocked. */
  nudge(): void {
    if (this.current.state !== 'backoff' && this.current.state !== 'blocked') this.loop.wake();
  }

  /** A person says try again (or a new token): now, with a fresh backoff and the set-aside recordings again. */
  retry(): void {
    this.setAside.clear();
    this.deferred.clear();
    this.failures = 0;
    if (this.current.state === 'blocked' || this.current.state === 'backoff') this.setStatus({ state: 'idle', nextAttemptAt: null });
    this.loop.wake();
  }

  /** Stops the loop and aborts the request in flight; resolves when nothing of this uploader runs any more. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop.stop();
    this.setStatus({ state: 'disabled', nextAttemptAt: null, current: null });
  }
}
