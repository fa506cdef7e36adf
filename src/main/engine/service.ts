/**
 * EngineService: the face engine as the rest of main sees it (plain Node, no Electron).
 *
 * It composes the process supervisor (supervisor.ts: the engine in its own process, restarts, status) and the
 * frame scheduler (scheduler.ts: one waiting frame per stream, the customer's stream first, load); and adds
 * key-frame pacing, still images and comparisons with the calibrated bands.
 */
import type { EngineStatus } from '../../shared/contract';
import type { Comparison, FrameAnalysis, ImageAnalysis } from '../../shared/engine';
import { AppFailure, isErrorCode } from '../../shared/errors';
import type { Frame } from '../../shared/frame';
import type { Logger } from '../log/logger';
import { compareWith, loadCalibration, type Calibration } from './calibration';
import { DEFAULT_CONFIG, type EngineConfig } from './config';
import { cosine } from './cosine';
import { assertStillImage } from './image-type';
import { defaultModelsDir, loadManifest } from './manifest';
import type { EngineChannelFactory } from './process/channel';
import type { EngineReply, FrameRequest } from './protocol';
import type { ProviderName } from './providers';
import { FrameScheduler, type SchedulerOptions } from './scheduler';
import { EngineSupervisor } from './supervisor';

export interface EngineServiceOptions {
  logger: Logger;
  modelsDir?: string;
  /** onnxruntime intra-op threads per session (default 1: on a 2-core PC the other core renders video). */
  intraOpThreads?: number;
  providers?: ProviderName[];
  config?: Partial<EngineConfig>;
  /** How the engine process is started (default child_process.fork; the Electron app passes utilityProcess). */
  channel?: EngineChannelFactory;
  /** The engine process entry (default: found next to this module). */
  entry?: { modulePath: string; execArgv: string[] };
  /** Consecutive failed starts before giving up with state 'failed' (default 5). */
  maxConsecutiveFailures?: number;
  /** First restart delay; doubles per consecutive failure up to 10 s (default 500 ms). */
  restartDelayMs?: number;
  scheduler?: SchedulerOptions;
  /** How often load and degraded are recomputed for the status (ms, default 500). */
  loadIntervalMs?: number;
}

export interface CompareResult {
  status: 'ok' | 'no_face_a' | 'no_face_b' | 'no_face_both';
  comparison: Comparison | null;
  a: ImageAnalysis;
  b: ImageAnalysis;
}

type Listener<T> = (value: T) => void;

interface Waiter {
  resolve: (r: FrameAnalysis) => void;
  reject: (e: Error) => void;
}

interface QueuedFrame {
  frame: Frame;
  pixels: Uint8Array;
  offline: boolean;
  waiter?: Waiter;
}

export class EngineService {
  private readonly supervisor: EngineSupervisor;
  private readonly scheduler: FrameScheduler<QueuedFrame>;
  private readonly analysisListeners = new Set<Listener<FrameAnalysis>>();
  private readonly lastKeyFrameAt = new Map<string, number>();
  /** The frame in the engine right now (one at a time: the engine's every-frame path is sequential). */
  private inFlight: { seq: number; streamId: string; waiter?: Waiter; released: boolean } | null = null;
  private readonly pendingImages = new Map<number, { resolve: (r: ImageAnalysis) => void; reject: (e: Error) => void }>();
  private nextSeq = 1;
  private loadTimer: NodeJS.Timeout | null = null;
  private calibration: Calibration | null = null;
  private readonly modelsDir: string;
  private readonly config: EngineConfig;
  private readonly log: Logger;

  constructor(private readonly options: EngineServiceOptions) {
    this.modelsDir = options.modelsDir ?? defaultModelsDir();
    this.config = { ...DEFAULT_CONFIG, ...options.config, quality: { ...DEFAULT_CONFIG.quality, ...options.config?.quality } };
    this.log = options.logger.child({ component: 'engine' });
    this.scheduler = new FrameScheduler<QueuedFrame>(options.scheduler);
    this.supervisor = new EngineSupervisor({
      logger: options.logger,
      init: { modelsDir: this.modelsDir, intraOpThreads: options.intraOpThreads ?? 1, providers: options.providers, config: options.config },
      channel: options.channel,
      entry: options.entry,
      maxConsecutiveFailures: options.maxConsecutiveFailures,
      restartDelayMs: options.restartDelayMs,
    });
    this.supervisor.onReply((m) => this.onReply(m));
    this.supervisor.onGone((reason) => this.onEngineGone(reason));
    this.supervisor.onStatus((s) => {
      if (s.state === 'ready') {
        this.startLoadTimer();
        this.pump();
      } else this.stopLoadTimer();
    });
  }

  status(): EngineStatus {
    return this.supervisor.status();
  }

  onStatus(listener: Listener<EngineStatus>): () => void {
    return this.supervisor.onStatus(listener);
  }

  onAnalysis(listener: Listener<FrameAnalysis>): () => void {
    this.analysisListeners.add(listener);
    return () => this.analysisListeners.delete(listener);
  }

  /** Starts the engine process; resolves when the models are loaded, rejects if the engine ends up 'failed'. */
  start(): Promise<void> {
    return this.supervisor.start();
  }

  async stop(): Promise<void> {
    for (const item of this.scheduler.clearWaiting()) item.waiter?.reject(new AppFailure('UNAVAILABLE', 'engine stopped'));
    this.stopLoadTimer();
    await this.supervisor.stop();
    this.failInFlight('engine stopped');
  }

  /**
   * A live frame: it waits in its stream's slot (a newer one replaces it, counted as dropped) until the
   * scheduler gives it to the engine. The pixels are copied once (the caller's buffer may be reused).
   */
  submitFrame(frame: Frame): void {
    if (!this.supervisor.ready) return;
    this.enqueue(frame, false);
  }

  /**
   * One frame, one result: for callers that need the answer to this frame (a file, a recording, the bench).
   * `offline` waits in the engine for the frame's embedding and every model due on it (deterministic).
   * Rejects, never hangs: when the frame fails, is replaced by a newer frame of its stream, or is lost in an
   * engine restart (the caller may retry once the engine is ready again: `whenReady()`).
   */
  analyzeFrame(frame: Frame, options: { offline?: boolean } = {}): Promise<FrameAnalysis> {
    const enqueue = () =>
      new Promise<FrameAnalysis>((resolve, reject) => {
        // the engine may have stopped while the caller waited for it
        if (!this.supervisor.ready) reject(new AppFailure('UNAVAILABLE', `face engine is ${this.supervisor.status().state}`));
        else this.enqueue(frame, options.offline ?? false, { resolve, reject });
      });
    // queued at once when ready, so calls keep their order with submitFrame()
    return this.supervisor.ready ? enqueue() : this.supervisor.whenReady().then(enqueue);
  }

  /** Resolves once the engine is ready (after a restart), rejects when it is stopped or failed. */
  whenReady(): Promise<void> {
    return this.supervisor.whenReady();
  }

  /** Forgets a stream (its call ended): its waiting frame, pacing and rates here, its tracking state in the engine. */
  releaseStream(streamId: string): void {
    this.scheduler.release(streamId)?.waiter?.reject(new AppFailure('UNAVAILABLE', 'stream released'));
    this.lastKeyFrameAt.delete(streamId);
    if (this.inFlight?.streamId === streamId) this.inFlight.released = true;
    this.supervisor.send({ type: 'release', streamId });
  }

  /** Streams with per-stream state here; for tests and diagnostics. */
  trackedStreams(): string[] {
    return [...new Set([...this.scheduler.streams(), ...this.lastKeyFrameAt.keys()])];
  }

  /** Frames waiting (at most one per stream). */
  mailboxSize(): number {
    return this.scheduler.waiting;
  }

  /** Per-stream offered/analysed/dropped rates over the last second. */
  rates(): ReturnType<FrameScheduler<QueuedFrame>['rates']> {
    return this.scheduler.rates(performance.now());
  }

  /** A still image (JPEG, PNG or WebP, checked by its first bytes here and again in the engine). */
  async analyzeImage(bytes: Uint8Array): Promise<ImageAnalysis> {
    assertStillImage(bytes);
    await this.supervisor.whenReady();
    const id = this.nextSeq++;
    return new Promise<ImageAnalysis>((resolve, reject) => {
      this.pendingImages.set(id, { resolve, reject });
      if (!this.supervisor.send({ type: 'image', id, bytes: new Uint8Array(bytes) })) {
        this.pendingImages.delete(id);
        reject(new AppFailure('UNAVAILABLE', 'face engine is not running'));
      }
    });
  }

  /** Face match between two embeddings with the calibrated bands. */
  compareEmbeddings(a: ArrayLike<number>, b: ArrayLike<number>): Comparison {
    return compareWith(cosine(a, b), this.getCalibration());
  }

  /** Compares the best face of two images (e.g. live capture vs ID photo). */
  async compare(a: Uint8Array, b: Uint8Array): Promise<CompareResult> {
    const cal = this.getCalibration();
    const [ra, rb] = [await this.analyzeImage(a), await this.analyzeImage(b)];
    if (!ra.embedding || !rb.embedding) {
      const status = !ra.embedding && !rb.embedding ? 'no_face_both' : !ra.embedding ? 'no_face_a' : 'no_face_b';
      return { status, comparison: null, a: ra, b: rb };
    }
    return { status: 'ok', comparison: compareWith(cosine(ra.embedding, rb.embedding), cal), a: ra, b: rb };
  }

  getCalibration(): Calibration {
    if (!this.calibration) {
      const manifest = loadManifest(this.modelsDir);
      const sha = manifest.models.fr_feature?.sha256 ?? '';
      this.calibration = loadCalibration(this.modelsDir, sha);
    }
    return this.calibration;
  }

  /** Test hook: the engine process calls process.abort(), as a native fault in a driver would end it. */
  abortEngineForTest(): void {
    this.supervisor.send({ type: 'abort' });
  }

  private enqueue(frame: Frame, offline: boolean, waiter?: Waiter): void {
    // a fresh copy (Buffer#slice would be a view into a shared pool, and the caller reuses its buffer)
    const item: QueuedFrame = { frame: { ...frame, rgba: new Uint8Array(0) }, pixels: new Uint8Array(frame.rgba), offline, waiter };
    const replaced = this.scheduler.offer(frame.streamId, item, performance.now());
    replaced?.waiter?.reject(new AppFailure('UNAVAILABLE', 'frame dropped: a newer frame of the stream replaced it'));
    this.pump();
  }

  /** Sends the next frame when the engine is idle. */
  private pump(): void {
    if (this.inFlight || !this.supervisor.ready) return;
    const now = performance.now();
    const next = this.scheduler.next(now);
    if (!next) return;
    const { streamId, item, dropped } = next;
    const last = this.lastKeyFrameAt.get(streamId);
    const f = item.frame;
    // 10 % slack: at 30 frames/s a 100 ms spacing would otherwise often wait for the 4th frame (133 ms)
    const embeddingAllowed = last === undefined || f.capturedAt - last >= 900 / this.config.maxEmbeddingsPerSecond || f.capturedAt < last;
    const seq = this.nextSeq++;
    const request: FrameRequest = {
      type: 'frame',
      seq,
      streamId,
      width: f.width,
      height: f.height,
      capturedAt: f.capturedAt,
      pixels: item.pixels,
      droppedFrames: dropped,
      embeddingAllowed,
      offline: item.offline,
    };
    this.inFlight = { seq, streamId, waiter: item.waiter, released: false };
    this.scheduler.started(now);
    if (!this.supervisor.send(request)) this.failInFlight('face engine is not running');
  }

  private onReply(message: EngineReply): void {
    switch (message.type) {
      case 'frameResult': {
        const flight = this.inFlight;
        if (!flight || flight.seq !== message.seq) return;
        this.inFlight = null;
        const r = message.result;
        this.scheduler.finished(flight.streamId, performance.now());
        if (r.keyFrame && !flight.released) this.lastKeyFrameAt.set(r.streamId, r.capturedAt);
        flight.waiter?.resolve(r);
        for (const l of this.analysisListeners) {
          try {
            l(r);
          } catch (error) {
            this.log.warn({ err: error }, 'analysis listener failed');
          }
        }
        this.pump();
        return;
      }
      case 'frameError': {
        const flight = this.inFlight;
        if (!flight || flight.seq !== message.seq) return;
        this.inFlight = null;
        this.scheduler.finished(flight.streamId, performance.now());
        this.log.warn({ streamId: message.streamId, message: message.message }, 'frame analysis failed');
        flight.waiter?.reject(new AppFailure('INTERNAL', `frame analysis failed: ${message.message}`));
        this.pump();
        return;
      }
      case 'imageResult':
        this.pendingImages.get(message.id)?.resolve(message.result);
        this.pendingImages.delete(message.id);
        return;
      case 'imageError':
        this.pendingImages.get(message.id)?.reject(new AppFailure(isErrorCode(message.code) ? message.code : 'INTERNAL', message.message));
        this.pendingImages.delete(message.id);
        return;
      default:
        return;
    }
  }

  /** The engine process is gone: the frame in it and every pending image are lost (their callers are told). */
  private onEngineGone(reason: string): void {
    if (this.inFlight) this.scheduler.abandoned(performance.now());
    this.failInFlight(`face engine restarted: ${reason}`);
    for (const p of this.pendingImages.values()) p.reject(new AppFailure('UNAVAILABLE', `face engine restarted: ${reason}`));
    this.pendingImages.clear();
  }

  private failInFlight(reason: string): void {
    const flight = this.inFlight;
    this.inFlight = null;
    flight?.waiter?.reject(new AppFailure('UNAVAILABLE', reason));
  }

  private startLoadTimer(): void {
    if (this.loadTimer) return;
    let last = { load: -1, degraded: false };
    this.loadTimer = setInterval(() => {
      const now = performance.now();
      const load = Math.round(this.scheduler.load(now) * 100) / 100;
      const degraded = this.scheduler.degraded(now);
      if (degraded !== last.degraded || Math.abs(load - last.load) >= 0.05) {
        last = { load, degraded };
        this.supervisor.updateLoad(load, degraded);
      }
    }, this.options.loadIntervalMs ?? 500);
    this.loadTimer.unref();
  }

  private stopLoadTimer(): void {
    if (this.loadTimer) clearInterval(this.loadTimer);
    this.loadTimer = null;
  }
}
