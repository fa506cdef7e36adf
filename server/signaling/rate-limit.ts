/**
 * A token bucket per connection: `burst` messages at once, refilled at `perSecond`. It runs on a
 * monotonic clock, not the server's (injectable) wall clock, so a test that freezes or jumps the
 * wall clock neither starves nor floods a connection.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly monotonicMs: () => number = () => performance.now(),
  ) {
    this.tokens = burst;
    this.last = monotonicMs();
  }

  /** Takes one token; false when the bucket is empty (the caller closes the connection). */
  take(): boolean {
    const now = this.monotonicMs();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
