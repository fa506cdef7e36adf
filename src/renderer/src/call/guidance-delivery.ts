/**
 * Delivers the agent's latest guidance prompt to the customer page until the page acknowledges it. The data
 * channel is reliable while it stays open, but a prompt sent just before a peer generation goes down (or a page
 * that was busy rebuilding its peer) is lost without a word — the agent would see it as sent and the customer
 * would see nothing. So the latest prompt is sent again on each new connection and every `resendMs` until its
 * ack arrives (the page shows the same id once, whatever the repeats), at most `maxSends` times.
 */
import type { GuidanceKey } from '../../../shared/signaling';
import { encodeGuidance, encodeGuidanceClear } from './guidance';

export interface GuidanceDeliveryOptions {
  /** Sends on the current peer generation; false when none is connected. */
  send(text: string): boolean;
  resendMs?: number;
  maxSends?: number;
}

export class GuidanceDelivery {
  private pending: { id: number; key: GuidanceKey; sends: number } | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly options: GuidanceDeliveryOptions) {}

  /** A new prompt replaces any unacknowledged one; true when its first send went out. */
  push(id: number, key: GuidanceKey): boolean {
    this.pending = { id, key, sends: 0 };
    return this.attempt();
  }

  /** Clears the customer's prompt; an unacknowledged one is not sent again. */
  clear(): boolean {
    this.cancel();
    return this.options.send(encodeGuidanceClear());
  }

  acked(id: number): void {
    if (this.pending?.id === id) this.cancel();
  }

  /** A (new) peer generation connected: what it never acknowledged goes out now. */
  connected(): void {
    if (this.pending) this.attempt();
  }

  stop(): void {
    this.cancel();
  }

  /** The prompt still waiting for its ack, if any. */
  get waiting(): GuidanceKey | null {
    return this.pending?.key ?? null;
  }

  private attempt(): boolean {
    const pending = this.pending;
    if (!pending) return false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (pending.sends >= (this.options.maxSends ?? 8)) {
      this.pending = null;
      return false;
    }
    const sent = this.options.send(encodeGuidance(pending.id, pending.key));
    if (sent) pending.sends++;
    this.timer = setTimeout(() => this.attempt(), this.options.resendMs ?? 1500);
    return sent;
  }

  private cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pending = null;
  }
}
