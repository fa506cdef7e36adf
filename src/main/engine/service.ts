/**
 * EngineService: the face engine as the rest of main sees it (plain Node, no Electron).
 *
 *  - runs the models in a worker thread, restarts it after a crash or a failed load, reports status;
 *  - per-stream latest-frame mailbox: while the worker is busy, a newer frame replaces the waiting one
 *    (counted as dropped) — never a queue;
 *  - embeddings only on quality-gated key frames, at most `maxEmbeddingsPerSecond` per stream;
 *  - still images and comparisons with calibrated bands.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { EngineStatus } from '../../shared/contract';
import type { Comparison, FrameAnalysis, ImageAnalysis } from '../../shared/engine';
import { AppFailure, isErrorCode, type ErrorCode } from '../../shared/errors';
import type { Frame } from '../../shared/frame';
import type { Logger } from '../log/logger';
import { LatestFrameMailbox } from '../frames/latest-frame-mailbox';
import { cosine } from './cosine';
import { compareWith, loadCalibration, type Calibration } from './calibration';
import { DEFAULT_CONFIG, type EngineConfig } from './config';
import { defaultModelsDir, loadManifest } from './manifest';
import type { ImageRequest, WorkerReply, WorkerRequest } from './protocol';
import type { ProviderName } from './providers';

export interface EngineServiceOptions {
  logger: Logger;
  modelsDir?: string;
  /** onnxruntime intra-op threads per session (default 1: on a 2-core PC the other core renders video). */
  intraOpThreads?: number;
  providers?: ProviderName[];
  config?: Partial<EngineConfig>;
  /** Where the worker script is; default: found next to this module (source or electron-vite build). */
  workerUrl?: URL;
  /** Consecutive failed starts before giving up with state 'failed' (default 5). */
  maxConsecutiveFailures?: number;
  /** First restart delay; doubles per consecutive failure up to 10 s (default 500 ms). */
  restartDelayMs?: number;
}

export interface CompareResult {
  status: 'ok' | 'no_face_a' | 'no_face_b' | 'no_face_both';
  comparison: Comparison | null;
  a: ImageAnalysis;
  b: ImageAnalysis;
}

type Listener<T> = (value: T) => void;

interface Pending {
  resolve: (r: ImageAnalysis) => void;
  reject: (e: Error) => void;
}

/** Finds the worker: worker.ts beside this file under tsx/vitest, engine-worker.mjs in the build. */
export function resolveWorker(): { url: URL; execArgv?: string[] } {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    const tsx = pathToFileURL(createRequire(here).resolve('tsx')).href;
    return { url: new URL('./worker.ts', here), execArgv: ['--import', tsx] };
  }
  // electron-vite emits out/main/engine-worker.js (.mjs with other output settings); this module may sit in
  // out/main/ itself or in out/main/chunks/.
  const names = ['engine-worker.js', 'engine-worker.mjs'];
  const candidates = names.flatMap((n) => [new URL(`./${n}`, here), new URL(`../${n}`, here)]);
  for (const url of candidates) if (existsSync(fileURLToPath(url))) return { url };
  throw new AppFailure('UNAVAILABLE', `engine worker script not found next to ${fileURLToPath(here)} (expected engine-worker.js; rebuild with: npm run build)`);
}

export class EngineService {
  private worker: Worker | null = null;
  private state: EngineStatus = { state: 'stopped', provider: null, restarts: 0 };
  private readonly statusListeners = new Set<Listener<EngineStatus>>();
  private readonly analysisListeners = new Set<Listener<FrameAnalysis>>();
  private readonly mailbox = new LatestFrameMailbox<{ frame: Frame; pixels: ArrayBuffer; dropped: number }>();
  private readonly lastEmbeddingAt = new Map<string, number>();
  private frameInFlight = false;
  /** The stream of the frame in the worker right now, and whether it was released meanwhile. */
  private inFlightStream: string | null = null;
  private inFlightReleased = false;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private consecutiveFailures = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  private stopping = false;
  private readyWaiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  private calibration: Calibration | null = null;
  private readonly modelsDir: string;
  private readonly config: EngineConfig;
  private readonly log: Logger;
  private lastRoundRobin = '';

  constructor(private readonly options: EngineServiceOptions) {
    this.modelsDir = options.modelsDir ?? defaultModelsDir();
    this.config = { ...DEFAULT_CONFIG, ...options.config, quality: { ...DEFAULT_CONFIG.quality, ...options.config?.quality } };
    this.log = options.logger.child({ component: 'engine' });
  }

  status(): EngineStatus {
    return { ...this.state };
  }

  onStatus(listener: Listener<EngineStatus>): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  onAnalysis(listener: Listener<FrameAnalysis>): () => void {
    this.analysisListeners.add(listener);
    return () => this.analysisListeners.delete(listener);
  }

  /** Starts the worker; resolves when the models are loaded, rejects if the engine ends up 'failed'. */
  start(): Promise<void> {
    this.stopping = false;
    if (this.state.state === 'ready') return Promise.resolve();
    const ready = new Promise<void>((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
    if (!this.worker && !this.restartTimer) this.spawn('starting');
    return ready;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    const worker = this.worker;
    this.worker = null;
    this.mailbox.clear();
    this.frameInFlight = false;
    this.rejectPending('UNAVAILABLE', 'engine stopped');
    for (const w of this.readyWaiters.splice(0)) w.reject(new AppFailure('UNAVAILABLE', 'engine stopped'));
    if (worker) await worker.terminate();
    this.setStatus({ state: 'stopped', provider: null, restarts: this.state.restarts });
  }

  /**
   * The latest-frame mailbox. The frame's pixels are copied once (the caller's buffer may be reused);
   * a frame still waiting for the same stream is replaced and counted as dropped.
   */
  submitFrame(frame: Frame): void {
    if (this.state.state !== 'ready') return;
    // a fresh copy (Buffer#slice would be a view into a shared pool, which must never be transferred)
    const pixels = new Uint8Array(frame.rgba).buffer;
    const entry = { frame: { ...frame, rgba: new Uint8Array(0) }, pixels, dropped: 0 };
    const previous = this.mailbox.put(frame.streamId, entry);
    if (previous) entry.dropped = previous.dropped + 1;
    this.pump();
  }

  /**
   * Forgets a stream (its call ended): its waiting frame and its embedding pacing. The worker keeps
   * no per-stream state (every frame is analysed on its own), so nothing needs to cross to it; a
   * result still in flight for the stream is delivered but leaves no state behind.
   */
  releaseStream(streamId: string): void {
    this.mailbox.take(streamId);
    this.lastEmbeddingAt.delete(streamId);
    if (this.inFlightStream === streamId) this.inFlightReleased = true;
  }

  /** Streams with per-stream state (waiting frame or embedding pacing); for tests and diagnostics. */
  trackedStreams(): string[] {
    return [...new Set([...this.mailbox.pendingStreams(), ...this.lastEmbeddingAt.keys()])];
  }

  /** Frames waiting (at most one per stream). */
  mailboxSize(): number {
    return this.mailbox.size;
  }

  async analyzeImage(bytes: Uint8Array): Promise<ImageAnalysis> {
    await this.whenReady();
    const worker = this.worker;
    if (!worker) throw new AppFailure('UNAVAILABLE', 'face engine is not running');
    const id = this.nextId++;
    const copy = new Uint8Array(bytes).buffer;
    return new Promise<ImageAnalysis>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const request: ImageRequest = { type: 'image', id, bytes: copy };
      worker.postMessage(request, [copy]);
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

  /** Test hook: kills the worker the way a native fault would. */
  crashWorkerForTest(): void {
    this.worker?.postMessage({ type: 'crash' } satisfies WorkerRequest);
  }

  private whenReady(): Promise<void> {
    if (this.state.state === 'ready') return Promise.resolve();
    if (this.state.state === 'stopped' || this.state.state === 'failed') {
      return Promise.reject(new AppFailure('UNAVAILABLE', `face engine is ${this.state.state}${this.state.message ? `: ${this.state.message}` : ''}`));
    }
    return new Promise<void>((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
  }

  private setStatus(next: EngineStatus): void {
    this.state = next;
    const snapshot = { ...next };
    for (const l of this.statusListeners) {
      try {
        l(snapshot);
      } catch (error) {
        this.log.warn({ err: error }, 'engine status listener failed');
      }
    }
  }

  private spawn(state: 'starting' | 'restarting'): void {
    this.restartTimer = null;
    this.setStatus({ ...this.state, state, provider: null });
    let worker: Worker;
    try {
      const target = this.options.workerUrl ? { url: this.options.workerUrl } : resolveWorker();
      worker = new Worker(target.url, { execArgv: target.execArgv, stdout: false, stderr: false });
    } catch (error) {
      this.onWorkerGone(error instanceof Error ? error.message : String(error));
      return;
    }
    this.worker = worker;
    worker.on('message', (m: WorkerReply) => this.onMessage(worker, m));
    worker.on('error', (error) => {
      if (this.worker === worker) this.log.error({ err: error.message }, 'engine worker crashed');
    });
    worker.on('exit', (code) => {
      if (this.worker === worker) this.onWorkerGone(`engine worker exited (code ${code})`);
    });
    const init: WorkerRequest = {
      type: 'init',
      modelsDir: this.modelsDir,
      intraOpThreads: this.options.intraOpThreads ?? 1,
      providers: this.options.providers,
      config: this.options.config,
    };
    worker.postMessage(init);
  }

  private onWorkerGone(reason: string): void {
    const old = this.worker;
    this.worker = null;
    if (old) void old.terminate();
    this.frameInFlight = false;
    this.rejectPending('UNAVAILABLE', `face engine restarted: ${reason}`);
    if (this.stopping) return;
    this.consecutiveFailures++;
    const max = this.options.maxConsecutiveFailures ?? 5;
    if (this.consecutiveFailures > max) {
      this.log.error({ reason }, 'engine failed permanently');
      this.setStatus({ state: 'failed', provider: null, restarts: this.state.restarts, message: reason });
      for (const w of this.readyWaiters.splice(0)) w.reject(new AppFailure('UNAVAILABLE', `face engine failed: ${reason}`));
      return;
    }
    const delay = Math.min(10_000, (this.options.restartDelayMs ?? 500) * 2 ** (this.consecutiveFailures - 1));
    this.log.warn({ reason, delay }, 'engine worker will restart');
    this.setStatus({ state: 'restarting', provider: null, restarts: this.state.restarts + 1, message: reason });
    this.restartTimer = setTimeout(() => this.spawn('restarting'), delay);
  }

  private onMessage(worker: Worker, message: WorkerReply): void {
    if (worker !== this.worker) return;
    switch (message.type) {
      case 'ready':
        this.consecutiveFailures = 0;
        this.log.info({ provider: message.provider }, 'engine ready');
        this.setStatus({ state: 'ready', provider: message.provider, restarts: this.state.restarts });
        for (const w of this.readyWaiters.splice(0)) w.resolve();
        this.pump();
        return;
      case 'initError':
        this.log.error({ code: message.code, message: message.message }, 'engine failed to load');
        // a load failure counts like a crash: restart with backoff, then give up
        this.onWorkerGone(message.message);
        return;
      case 'frameResult': {
        this.frameInFlight = false;
        const r = message.result;
        if (r.embedding && !(this.inFlightReleased && this.inFlightStream === r.streamId)) this.lastEmbeddingAt.set(r.streamId, r.capturedAt);
        this.inFlightStream = null;
        this.inFlightReleased = false;
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
      case 'frameError':
        this.frameInFlight = false;
        this.log.warn({ streamId: message.streamId, message: message.message }, 'frame analysis failed');
        this.pump();
        return;
      case 'imageResult':
        this.pending.get(message.id)?.resolve(message.result);
        this.pending.delete(message.id);
        return;
      case 'imageError':
        this.pending.get(message.id)?.reject(new AppFailure(isErrorCode(message.code) ? message.code : 'INTERNAL', message.message));
        this.pending.delete(message.id);
        return;
    }
  }

  /** Sends the next waiting frame (round-robin over streams) when the worker is idle. */
  private pump(): void {
    if (this.frameInFlight || !this.worker || this.state.state !== 'ready' || this.mailbox.size === 0) return;
    const ids = this.mailbox.pendingStreams().sort();
    const streamId = ids.find((id) => id > this.lastRoundRobin) ?? ids[0]!;
    this.lastRoundRobin = streamId;
    const entry = this.mailbox.take(streamId)!;
    const { frame, pixels, dropped } = entry;
    const last = this.lastEmbeddingAt.get(streamId);
    const embeddingAllowed = last === undefined || frame.capturedAt - last >= 1000 / this.config.maxEmbeddingsPerSecond || frame.capturedAt < last;
    this.frameInFlight = true;
    this.inFlightStream = streamId;
    this.inFlightReleased = false;
    const request: WorkerRequest = {
      type: 'frame',
      streamId,
      width: frame.width,
      height: frame.height,
      capturedAt: frame.capturedAt,
      pixels,
      droppedFrames: dropped,
      embeddingAllowed,
    };
    this.worker.postMessage(request, [pixels]);
  }

  private rejectPending(code: ErrorCode, message: string): void {
    for (const p of this.pending.values()) p.reject(new AppFailure(code, message));
    this.pending.clear();
  }
}
