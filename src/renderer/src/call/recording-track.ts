/**
 * One recorded track (customer or agent) as a series of segments: a segment is one MediaRecorder
 * on one MediaStream and one `recording.start … recording.stop` in main. A new peer generation
 * brings a new remote stream, so the customer track gets a new segment; the agent track gets one
 * when the agent's camera is replaced.
 *
 * Chunks leave in order, one at a time (a promise chain per segment), and are never dropped
 * silently: a refused chunk (DISK_FULL …) fails the segment, stops its recorder and is reported;
 * a transport hiccup (UNAVAILABLE) is retried first.
 */
import type { VeriDeskApi } from '../../../shared/contract';
import { MAX_RECORDING_CHUNK_BYTES, type RecordingStatus, type RecordingTrack } from '../../../shared/call';
import { bytesToBase64 } from './base64';

export const TIMESLICE_MS = 1_000;
export const VIDEO_BITS_PER_SECOND = 1_000_000;
const PREFERRED_MIME = 'video/webm;codecs=vp8,opus';
const FALLBACK_MIME = 'video/webm';
/** Retries of a chunk refused with UNAVAILABLE (main's transport reconnecting), then it fails. */
const RETRY_DELAYS_MS = [250, 500, 1_000, 2_000, 4_000];
/** A start refused with these may succeed later (consent not logged yet, transport reconnecting). */
const TRANSIENT_START_CODES = new Set(['FORBIDDEN', 'UNAVAILABLE']);
/** The local failure code when the browser's MediaRecorder itself fails. */
export const RECORDER_ERROR = 'RECORDER_ERROR';

export const pickMimeType = (): string => (MediaRecorder.isTypeSupported(PREFERRED_MIME) ? PREFERRED_MIME : FALLBACK_MIME);

export interface TrackRecorderDeps {
  api: VeriDeskApi;
  callId: string;
  track: RecordingTrack;
  /** Every status main returns for this track's segments. */
  onStatus(status: RecordingStatus): void;
  /** A segment failed: the recorder is stopped, the call goes on. */
  onFailure(recordingId: string | null, code: string): void;
}

/** A MediaRecorder that main has registered but that is not started yet (so two tracks can start together). */
export interface PreparedSegment {
  begin(): void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

class Segment {
  private seq = 0;
  private chain: Promise<void> = Promise.resolve();
  private failed = false;
  private begun = false;
  private finishing = false;
  /** The page is going away: nothing more is sent, main is told to close the recording. */
  private abandoned = false;
  private resolveFinished!: () => void;
  readonly finished = new Promise<void>((resolve) => (this.resolveFinished = resolve));

  constructor(
    private readonly deps: TrackRecorderDeps,
    readonly recordingId: string,
    private readonly recorder: MediaRecorder,
  ) {
    recorder.ondataavailable = (event) => {
      if (event.data.size > 0) this.chain = this.chain.then(() => this.send(event.data));
    };
    recorder.onerror = () => this.fail(RECORDER_ERROR);
    // the last dataavailable fires before stop: wait for every chunk, then close the recording in main
    recorder.onstop = () => void this.chain.then(() => this.finish());
  }

  begin() {
    this.begun = true;
    try {
      this.recorder.start(TIMESLICE_MS);
    } catch {
      this.fail(RECORDER_ERROR);
      void this.finish(); // never started, so no stop event will come
    }
  }

  stop(): Promise<void> {
    if (!this.begun) void this.finish();
    else if (this.recorder.state !== 'inactive') this.recorder.stop();
    return this.finished;
  }

  private async send(blob: Blob) {
    for (let offset = 0; offset < blob.size && !this.failed && !this.abandoned; offset += MAX_RECORDING_CHUNK_BYTES) {
      const bytes = new Uint8Array(await blob.slice(offset, offset + MAX_RECORDING_CHUNK_BYTES).arrayBuffer());
      const params = { recordingId: this.recordingId, seq: this.seq, data: bytesToBase64(bytes) };
      let result = await this.deps.api.invoke('recording.chunk', params);
      for (let attempt = 0; !result.ok && result.error.code === 'UNAVAILABLE' && attempt < RETRY_DELAYS_MS.length; attempt++) {
        await sleep(RETRY_DELAYS_MS[attempt]!);
        result = await this.deps.api.invoke('recording.chunk', params);
      }
      if (!result.ok) {
        this.fail(result.error.code);
        return;
      }
      this.seq += 1;
      this.deps.onStatus(result.value);
    }
  }

  /** pagehide: no time to wait for the last chunk; close the recording in main so it is not left open. */
  abandon() {
    this.abandoned = true;
    void this.finish();
  }

  private fail(code: string) {
    if (this.failed) return;
    this.failed = true;
    this.deps.onFailure(this.recordingId, code);
    if (this.recorder.state !== 'inactive') this.recorder.stop();
  }

  private async finish() {
    if (this.finishing) return;
    this.finishing = true;
    // also after a failure: main closes the file so what was written stays readable
    const result = await this.deps.api.invoke('recording.stop', { recordingId: this.recordingId });
    if (result.ok && !this.failed) this.deps.onStatus(result.value);
    this.resolveFinished();
  }
}

export class TrackRecorder {
  private segment: Segment | null = null;
  private preparing = false;
  private permanentFailure: string | null = null;

  constructor(private readonly deps: TrackRecorderDeps) {}

  /** True when a new segment may be started: none running or being prepared, no permanent failure. */
  get canStart(): boolean {
    return !this.segment && !this.preparing && this.permanentFailure === null;
  }

  get recording(): boolean {
    return this.segment !== null;
  }

  /** Registers a new segment with main; null when refused (reported through onFailure). */
  async prepare(stream: MediaStream, startedAt: number): Promise<PreparedSegment | null> {
    if (!this.canStart) return null;
    this.preparing = true;
    try {
      const mimeType = pickMimeType();
      let recorder: MediaRecorder;
      try {
        recorder = new MediaRecorder(stream, { mimeType, videoBitsPerSecond: VIDEO_BITS_PER_SECOND });
      } catch {
        this.permanentFailure = RECORDER_ERROR;
        this.deps.onFailure(null, RECORDER_ERROR);
        return null;
      }
      const result = await this.deps.api.invoke('recording.start', { callId: this.deps.callId, track: this.deps.track, mimeType, startedAt });
      if (!result.ok) {
        if (!TRANSIENT_START_CODES.has(result.error.code)) this.permanentFailure = result.error.code;
        this.deps.onFailure(null, result.error.code);
        return null;
      }
      this.deps.onStatus(result.value);
      const segment = new Segment(
        {
          ...this.deps,
          onFailure: (recordingId, code) => {
            this.permanentFailure = code;
            this.deps.onFailure(recordingId, code);
          },
        },
        result.value.recordingId,
        recorder,
      );
      this.segment = segment;
      void segment.finished.then(() => {
        if (this.segment === segment) this.segment = null;
      });
      return { begin: () => segment.begin() };
    } finally {
      this.preparing = false;
    }
  }

  abandon(): void {
    this.segment?.abandon();
  }

  /** Stops the running segment and waits until its last chunk is written and main has closed it. */
  async stop(): Promise<void> {
    const segment = this.segment;
    if (!segment) return;
    await segment.stop();
    if (this.segment === segment) this.segment = null;
  }
}
