import type { StreamStats } from '../../shared/contract';
import { decodeFrame, FrameFormatError, type Frame } from '../../shared/frame';
import type { Logger } from '../log/logger';
import { LatestFrameMailbox } from './latest-frame-mailbox';

const WINDOW_MS = 1000;
/** Streams tracked at once (an agent camera, a call's customer video, a few test sources). */
export const MAX_STREAMS = 8;
/** A stream with no frame for this long is forgotten, so its slot serves the next call. */
export const STREAM_IDLE_MS = 10_000;

interface StreamCounters {
  stats: StreamStats;
  arrivals: Array<{ at: number; bytes: number }>;
  /** Arrival time (our clock) of the latest frame; capture times come from the renderer's clock. */
  lastArrivalAt: number;
}

export type FrameListener = (frame: Frame) => void;
export type ReleaseListener = (streamId: string) => void;

/**
 * The frame sink in main: decodes and validates every frame message, keeps only the latest frame
 * per stream, and measures what arrives (fps, bytes/s, mean colour of the frames it consumes).
 * Until the engine consumes frames it is the proof that real pixels cross the process boundary.
 */
export class FrameDiagnostics {
  private readonly mailbox = new LatestFrameMailbox<Frame>();
  private readonly streams = new Map<string, StreamCounters>();
  private readonly listeners = new Set<FrameListener>();
  private readonly releaseListeners = new Set<ReleaseListener>();
  private drainScheduled = false;
  rejected = 0;

  constructor(
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Accepts one raw frame message from a transport. Returns false (and counts it) when it is malformed. */
  accept(message: ArrayBuffer | Uint8Array): boolean {
    let frame: Frame;
    try {
      frame = decodeFrame(message);
    } catch (error) {
      if (!(error instanceof FrameFormatError)) throw error;
      this.rejected += 1;
      this.log.debug({ reason: error.message }, 'frame rejected');
      return false;
    }
    const counters = this.countersFor(frame.streamId);
    if (!counters) {
      this.rejected += 1;
      return false;
    }
    const at = this.now();
    counters.stats.framesReceived += 1;
    counters.lastArrivalAt = at;
    counters.arrivals.push({ at, bytes: message.byteLength });
    if (this.mailbox.put(frame.streamId, frame) !== undefined) counters.stats.framesDropped += 1;
    this.scheduleDrain();
    return true;
  }

  /** Subscribes a consumer (e.g. the engine) to the latest frames; it receives each consumed frame. */
  onFrame(listener: FrameListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Subscribes to stream releases (explicit or idle), so consumers (the engine) drop their
   * per-stream state too.
   */
  onRelease(listener: ReleaseListener): () => void {
    this.releaseListeners.add(listener);
    return () => this.releaseListeners.delete(listener);
  }

  /**
   * Forgets a stream (a call ended): its counters, its waiting frame, its slot. A frame that arrives
   * for it later starts it afresh.
   */
  release(streamId: string): void {
    const known = this.streams.delete(streamId);
    const pending = this.mailbox.take(streamId) !== undefined;
    if (!known && !pending) return;
    this.log.debug({ streamId }, 'frame stream released');
    for (const listener of this.releaseListeners) {
      try {
        listener(streamId);
      } catch (error) {
        this.log.warn({ err: error, streamId }, 'stream release listener failed');
      }
    }
  }

  /** Streams tracked right now. */
  get streamCount(): number {
    return this.streams.size;
  }

  snapshot(): StreamStats[] {
    this.releaseIdle();
    const cutoff = this.now() - WINDOW_MS;
    return [...this.streams.values()].map(({ stats, arrivals }) => {
      while (arrivals.length && arrivals[0]!.at < cutoff) arrivals.shift();
      const bytes = arrivals.reduce((sum, a) => sum + a.bytes, 0);
      return { ...stats, fps: arrivals.length * (1000 / WINDOW_MS), bytesPerSecond: bytes * (1000 / WINDOW_MS) };
    });
  }

  private countersFor(streamId: string): StreamCounters | undefined {
    let counters = this.streams.get(streamId);
    if (!counters) {
      if (this.streams.size >= MAX_STREAMS) this.releaseIdle();
      if (this.streams.size >= MAX_STREAMS) return undefined;
      counters = {
        arrivals: [],
        lastArrivalAt: this.now(),
        stats: { streamId, framesReceived: 0, framesDropped: 0, fps: 0, bytesPerSecond: 0, width: 0, height: 0, meanRgb: [0, 0, 0], lastFrameAt: 0 },
      };
      this.streams.set(streamId, counters);
    }
    return counters;
  }

  /** Drops streams that sent nothing for STREAM_IDLE_MS (a call that ended without release, a closed tab). */
  private releaseIdle(): void {
    const cutoff = this.now() - STREAM_IDLE_MS;
    for (const [streamId, counters] of this.streams) if (counters.lastArrivalAt < cutoff) this.release(streamId);
  }

  private scheduleDrain(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    setImmediate(() => {
      this.drainScheduled = false;
      for (const streamId of this.mailbox.pendingStreams()) {
        const frame = this.mailbox.take(streamId);
        if (frame) this.consume(frame);
      }
    });
  }

  private consume(frame: Frame): void {
    const stats = this.streams.get(frame.streamId)?.stats;
    if (stats) {
      stats.width = frame.width;
      stats.height = frame.height;
      stats.meanRgb = meanRgb(frame.rgba);
      stats.lastFrameAt = frame.capturedAt;
    }
    for (const listener of this.listeners) listener(frame);
  }
}

/** Mean colour over every 4th pixel (enough for a diagnostic and cheap at 30 fps). */
export function meanRgb(rgba: Uint8Array): [number, number, number] {
  let r = 0;
  let g = 0;
  let b = 0;
  let n = 0;
  for (let i = 0; i + 3 < rgba.length; i += 16) {
    r += rgba[i]!;
    g += rgba[i + 1]!;
    b += rgba[i + 2]!;
    n += 1;
  }
  return n === 0 ? [0, 0, 0] : [Math.round(r / n), Math.round(g / n), Math.round(b / n)];
}
