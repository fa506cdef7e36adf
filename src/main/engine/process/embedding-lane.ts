/**
 * EmbeddingLane: key-frame embeddings beside the every-frame path, never in it.
 *
 * One embedding runs at a time in the embedding thread. Live key frames wait in a queue of one: while the
 * thread is busy, a better key frame (qualityScore) replaces the waiting one and a worse one is dropped, so
 * the best frame of the moment is embedded next and nothing piles up. Requests that need an answer (still
 * images, offline analysis) are served before the waiting live frame.
 */
import { Worker } from 'node:worker_threads';
import type { KeyFrame } from '../tracking/frame-pipeline';
import { isCustomerStream } from '../scheduler';
import type { EmbedderInit, EmbedderReply, EmbedderRequest } from './embedding-protocol';

export interface EmbeddingDone {
  key: KeyFrame;
  embedding: Float32Array;
  ms: number;
}

/** What the lane needs of a worker (a real worker_threads Worker; a fake in unit tests). */
export interface EmbedderPort {
  postMessage(message: EmbedderRequest, transfer: ArrayBuffer[]): void;
  on(event: 'message', listener: (m: EmbedderReply) => void): void;
  on(event: 'error', listener: (e: Error) => void): void;
  on(event: 'exit', listener: (code: number) => void): void;
  terminate(): Promise<number>;
}

interface Job {
  id: number;
  aligned: Float32Array;
  key?: KeyFrame;
  resolve?: (r: { embedding: Float32Array; ms: number }) => void;
  reject?: (e: Error) => void;
}

export class EmbeddingLane {
  private busy: Job | null = null;
  private waitingLive: Job | null = null;
  private readonly urgent: Job[] = [];
  private nextId = 1;
  private readonly doneListeners = new Set<(d: EmbeddingDone) => void>();
  private readonly failureListeners = new Set<(reason: string) => void>();
  /** Live key frames offered, replaced by a better one, refused for a worse one: for the bench and tests. */
  readonly counts = { offered: 0, embedded: 0, replaced: 0, refused: 0 };

  constructor(private readonly port: EmbedderPort) {
    port.on('message', (m) => this.onReply(m));
    port.on('error', (e) => this.fail(`embedding thread failed: ${e.message}`));
    port.on('exit', (code) => this.fail(`embedding thread exited (code ${code})`));
  }

  /** Starts the embedding thread and waits until fr_feature is loaded. */
  static async start(init: EmbedderInit, workerUrl: URL): Promise<EmbeddingLane> {
    const worker = new Worker(workerUrl, { workerData: init, stdout: false, stderr: false });
    await new Promise<void>((resolve, reject) => {
      const onMessage = (m: EmbedderReply) => {
        if (m.type === 'ready') resolve();
        else if (m.type === 'initError') reject(new Error(m.message));
        else return;
        worker.off('message', onMessage);
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`embedding thread exited during start (code ${code})`)));
    });
    return new EmbeddingLane(worker as unknown as EmbedderPort);
  }

  onDone(listener: (d: EmbeddingDone) => void): () => void {
    this.doneListeners.add(listener);
    return () => this.doneListeners.delete(listener);
  }

  /** The thread died: the engine process cannot work without it (main restarts the whole process). */
  onFailure(listener: (reason: string) => void): void {
    this.failureListeners.add(listener);
  }

  /** A live key frame: embedded now if the thread is idle, else it competes for the one waiting place. */
  offer(key: KeyFrame): 'started' | 'waiting' | 'refused' {
    this.counts.offered++;
    const job: Job = { id: this.nextId++, aligned: key.aligned, key };
    if (!this.busy && this.urgent.length === 0) {
      this.send(job);
      return 'started';
    }
    const waiting = this.waitingLive?.key;
    if (waiting && !replaces(key, waiting)) {
      this.counts.refused++;
      return 'refused';
    }
    if (this.waitingLive) this.counts.replaced++;
    this.waitingLive = job;
    return 'waiting';
  }

  /** An embedding the caller waits for (still image, offline frame); served before live key frames. */
  embed(aligned: Float32Array): Promise<{ embedding: Float32Array; ms: number }> {
    return new Promise((resolve, reject) => {
      const job: Job = { id: this.nextId++, aligned, resolve, reject };
      if (!this.busy) this.send(job);
      else this.urgent.push(job);
    });
  }

  /** Drops a released stream's waiting key frame (one already running finishes and is discarded by the caller). */
  drop(streamId: string): void {
    if (this.waitingLive?.key?.streamId === streamId) this.waitingLive = null;
  }

  get idle(): boolean {
    return !this.busy && !this.waitingLive && this.urgent.length === 0;
  }

  async close(): Promise<void> {
    this.failureListeners.clear();
    await this.port.terminate();
  }

  private send(job: Job): void {
    this.busy = job;
    // the crop is transferred: the caller gave it away (a key frame's crop is not used after the offer)
    this.port.postMessage({ id: job.id, aligned: job.aligned }, [job.aligned.buffer as ArrayBuffer]);
  }

  private onReply(m: EmbedderReply): void {
    if (m.type !== 'embedding' && m.type !== 'error') return;
    const job = this.busy;
    if (!job || job.id !== m.id) return;
    this.busy = null;
    if (m.type === 'embedding') {
      if (job.resolve) job.resolve({ embedding: m.embedding, ms: m.ms });
      else if (job.key) {
        this.counts.embedded++;
        for (const l of this.doneListeners) l({ key: job.key, embedding: m.embedding, ms: m.ms });
      }
    } else job.reject?.(new Error(m.message));
    const next = this.urgent.shift() ?? this.waitingLive;
    if (next === this.waitingLive) this.waitingLive = null;
    if (next) this.send(next);
  }

  private fail(reason: string): void {
    for (const l of this.failureListeners) l(reason);
  }
}

/**
 * Whether a new key frame takes the waiting place: the customer's stream before the agent's, a frame more than
 * half a second newer (the face may have changed), else the better quality.
 */
export function replaces(next: KeyFrame, waiting: KeyFrame): boolean {
  const a = isCustomerStream(next.streamId);
  const b = isCustomerStream(waiting.streamId);
  if (a !== b) return a;
  if (next.streamId === waiting.streamId && next.capturedAt - waiting.capturedAt > 500) return true;
  return next.score > waiting.score;
}
