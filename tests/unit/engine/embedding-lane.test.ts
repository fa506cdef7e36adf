/**
 * The embedding lane's queue of one, with a fake embedding thread that answers when told: one embedding at a
 * time, the best waiting key frame next, worse ones refused, the customer before the agent, waited-for
 * requests (stills, offline frames) before live key frames.
 */
import { describe, expect, it } from 'vitest';
import type { EmbedderReply, EmbedderRequest } from '../../../src/main/engine/process/embedding-protocol';
import { EmbeddingLane, replaces, type EmbedderPort } from '../../../src/main/engine/process/embedding-lane';
import type { KeyFrame } from '../../../src/main/engine/tracking/frame-pipeline';

class FakeThread implements EmbedderPort {
  readonly received: EmbedderRequest[] = [];
  private listener: ((m: EmbedderReply) => void) | null = null;
  postMessage(message: EmbedderRequest): void {
    this.received.push(message);
  }
  on(event: string, listener: (arg: never) => void): void {
    if (event === 'message') this.listener = listener as (m: EmbedderReply) => void;
  }
  async terminate(): Promise<number> {
    return 0;
  }
  /** Finishes the request it holds; the embedding's first value names the crop it came from. */
  answer(): void {
    const m = this.received.at(-1)!;
    this.listener!({ type: 'embedding', id: m.id, embedding: new Float32Array([m.aligned[0]!]), ms: 5 });
  }
}

const key = (streamId: string, capturedAt: number, score: number, tag: number): KeyFrame => ({
  streamId,
  trackId: 1,
  capturedAt,
  score,
  aligned: new Float32Array([tag]),
});
const C = 'call-0000000000000001';

describe('EmbeddingLane', () => {
  it('runs one at a time and embeds the best key frame that arrived meanwhile', () => {
    const thread = new FakeThread();
    const lane = new EmbeddingLane(thread);
    const done: number[] = [];
    lane.onDone((d) => done.push(d.embedding[0]!));
    expect(lane.offer(key(C, 0, 0.5, 1))).toBe('started');
    expect(lane.offer(key(C, 33, 0.4, 2))).toBe('waiting');
    expect(lane.offer(key(C, 66, 0.9, 3))).toBe('waiting'); // better: replaces 2
    expect(lane.offer(key(C, 99, 0.6, 4))).toBe('refused'); // worse than 3
    expect(thread.received).toHaveLength(1);
    thread.answer();
    expect(thread.received.map((r) => r.aligned[0])).toEqual([1, 3]);
    thread.answer();
    expect(done).toEqual([1, 3]);
    expect(lane.idle).toBe(true);
    expect(lane.counts).toMatchObject({ offered: 4, embedded: 2, replaced: 1, refused: 1 });
  });

  it('serves a waited-for embedding before the waiting live key frame', async () => {
    const thread = new FakeThread();
    const lane = new EmbeddingLane(thread);
    lane.offer(key(C, 0, 0.5, 1));
    lane.offer(key(C, 33, 0.5, 2));
    const still = lane.embed(new Float32Array([7]));
    thread.answer(); // 1
    expect(thread.received.at(-1)!.aligned[0]).toBe(7);
    thread.answer(); // the still
    await expect(still).resolves.toMatchObject({ embedding: new Float32Array([7]) });
    expect(thread.received.at(-1)!.aligned[0]).toBe(2);
  });

  it('prefers the customer over the agent and a much newer frame over an old better one', () => {
    expect(replaces(key(C, 10, 0.1, 0), key('agent', 0, 0.9, 0))).toBe(true);
    expect(replaces(key('agent', 10, 0.9, 0), key(C, 0, 0.1, 0))).toBe(false);
    expect(replaces(key(C, 600, 0.1, 0), key(C, 0, 0.9, 0))).toBe(true);
    expect(replaces(key(C, 100, 0.1, 0), key(C, 0, 0.9, 0))).toBe(false);
  });

  it('drops a released stream\'s waiting key frame', () => {
    const thread = new FakeThread();
    const lane = new EmbeddingLane(thread);
    lane.offer(key(C, 0, 0.5, 1));
    lane.offer(key(C, 33, 0.5, 2));
    lane.drop(C);
    thread.answer();
    expect(thread.received).toHaveLength(1);
    expect(lane.idle).toBe(true);
  });
});
