/**
 * One slot per stream: a new item replaces the one not yet taken. Consumers that are busy therefore
 * always get the newest frame, and nothing queues up behind a slow consumer.
 */
export class LatestFrameMailbox<T> {
  private readonly slots = new Map<string, T>();

  /** Stores the item; returns the one it replaced that was never taken (a dropped frame), if any. */
  put(streamId: string, item: T): T | undefined {
    const replaced = this.slots.get(streamId);
    this.slots.set(streamId, item);
    return replaced;
  }

  take(streamId: string): T | undefined {
    const item = this.slots.get(streamId);
    this.slots.delete(streamId);
    return item;
  }

  pendingStreams(): string[] {
    return [...this.slots.keys()];
  }

  get size(): number {
    return this.slots.size;
  }

  clear(): void {
    this.slots.clear();
  }
}
