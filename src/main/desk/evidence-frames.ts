/**
 * The last few frames of the customer's stream as main received them, so that a check result can store the
 * very frames it rests on as evidence (encrypted in the case log). Only a short window is kept: a frame that
 * left it is referenced by capture time only.
 */
import type { Frame } from '../../shared/frame';

export class EvidenceFrames {
  private readonly frames: Frame[] = [];
  private readonly stored = new Set<string>();

  constructor(private readonly capacity = 20) {}

  add(frame: Frame): void {
    this.frames.push(frame);
    if (this.frames.length > this.capacity) this.frames.shift();
  }

  /** The newest frame of a stream (the ID card the customer holds up right now). */
  latest(streamId: string): Frame | undefined {
    for (let i = this.frames.length - 1; i >= 0; i--) if (this.frames[i]!.streamId === streamId) return this.frames[i];
    return undefined;
  }

  find(streamId: string, capturedAt: number): Frame | undefined {
    return this.frames.find((f) => f.streamId === streamId && f.capturedAt === capturedAt);
  }

  /** True the first time a frame is asked to be stored (a frame is evidence once, whatever cites it). */
  firstStore(streamId: string, capturedAt: number): boolean {
    const key = `${streamId}@${capturedAt}`;
    if (this.stored.has(key)) return false;
    this.stored.add(key);
    if (this.stored.size > 10_000) this.stored.clear();
    return true;
  }

  clear(): void {
    this.frames.length = 0;
    this.stored.clear();
  }
}
