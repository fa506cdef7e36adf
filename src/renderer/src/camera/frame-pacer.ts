/**
 * Paces a frame tap to what the engine consumes. The frame channel keeps only the latest frame per
 * stream, so a frame sent while the engine is busy is copied, encoded, carried and then dropped: on a
 * 2-core PC that work starves the engine itself. The pacer allows a new frame only while fewer than
 * `maxInFlight` frames are waiting for a result (one being analysed, one in the mailbox); a result for
 * the frame captured at T settles every frame sent up to T (analysed or replaced). A frame whose result
 * never comes (engine restart, stream released) stops counting after `staleMs`, so the tap never stalls.
 */
export class FramePacer {
  private readonly pending: Array<{ capturedAt: number; sentAt: number }> = [];

  constructor(
    private readonly maxInFlight = 2,
    private readonly staleMs = 1000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Whether the tap should capture and send the next frame now. */
  maySend(): boolean {
    const now = this.now();
    while (this.pending.length > 0 && now - this.pending[0]!.sentAt >= this.staleMs) this.pending.shift();
    return this.pending.length < this.maxInFlight;
  }

  /** A frame was sent with this capture time (the frame header's `capturedAt`). */
  sent(capturedAt: number): void {
    this.pending.push({ capturedAt, sentAt: this.now() });
  }

  /** The engine answered for the frame captured at `capturedAt`. */
  result(capturedAt: number): void {
    while (this.pending.length > 0 && this.pending[0]!.capturedAt <= capturedAt) this.pending.shift();
  }

  get inFlight(): number {
    return this.pending.length;
  }
}
