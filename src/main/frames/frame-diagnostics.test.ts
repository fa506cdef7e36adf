import { describe, expect, it } from 'vitest';
import { encodeFrame } from '../../shared/frame';
import { silentLogger } from '../log/logger';
import { FrameDiagnostics, MAX_STREAMS, STREAM_IDLE_MS, meanRgb } from './frame-diagnostics';

const solid = (w: number, h: number, [r, g, b]: [number, number, number]) => {
  const rgba = new Uint8Array(w * h * 4);
  for (let i = 0; i < rgba.length; i += 4) rgba.set([r, g, b, 255], i);
  return rgba;
};
const frame = (streamId: string, colour: [number, number, number]) =>
  encodeFrame({ streamId, width: 8, height: 8, capturedAt: Date.now() }, solid(8, 8, colour));
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('FrameDiagnostics', () => {
  it('measures fps and bytes per stream over the last second and reports the consumed frame colour', async () => {
    let now = 10_000;
    const diagnostics = new FrameDiagnostics(silentLogger, () => now);
    for (let i = 0; i < 5; i++) {
      diagnostics.accept(frame('agent', [200, 10, 30]));
      now += 100;
      await tick();
    }
    const [stats] = diagnostics.snapshot();
    expect(stats).toMatchObject({ streamId: 'agent', framesReceived: 5, fps: 5, width: 8, height: 8, meanRgb: [200, 10, 30] });
    expect(stats!.bytesPerSecond).toBe(5 * (48 + 8 * 8 * 4));
    now += 2000;
    expect(diagnostics.snapshot()[0]!.fps).toBe(0);
  });

  it('keeps only the latest frame per stream when the consumer is busy', async () => {
    const diagnostics = new FrameDiagnostics(silentLogger);
    const seen: number[][] = [];
    diagnostics.onFrame((f) => seen.push(Array.from(f.rgba.subarray(0, 3))));
    diagnostics.accept(frame('agent', [1, 1, 1]));
    diagnostics.accept(frame('agent', [2, 2, 2]));
    diagnostics.accept(frame('agent', [3, 3, 3]));
    diagnostics.accept(frame('customer', [9, 9, 9]));
    await tick();
    expect(seen).toEqual([
      [3, 3, 3],
      [9, 9, 9],
    ]);
    expect(diagnostics.snapshot().find((s) => s.streamId === 'agent')!.framesDropped).toBe(2);
  });

  it('counts malformed frames as rejected without creating streams', () => {
    const diagnostics = new FrameDiagnostics(silentLogger);
    expect(diagnostics.accept(new Uint8Array(100))).toBe(false);
    expect(diagnostics.rejected).toBe(1);
    expect(diagnostics.snapshot()).toEqual([]);
  });

  it('accepts 50 sequential calls\' stream ids when each call releases its stream (at most 8 at once, not 8 per app lifetime)', async () => {
    const diagnostics = new FrameDiagnostics(silentLogger);
    const released: string[] = [];
    diagnostics.onRelease((id) => released.push(id));
    expect(diagnostics.accept(frame('agent', [1, 2, 3]))).toBe(true);
    for (let call = 0; call < 50; call++) {
      const streamId = `call-${call.toString(16).padStart(16, '0')}`;
      expect(diagnostics.accept(frame(streamId, [call, 0, 0])), streamId).toBe(true);
      await tick();
      expect(diagnostics.snapshot().map((s) => s.streamId)).toEqual(['agent', streamId]);
      diagnostics.release(streamId);
    }
    expect(released).toHaveLength(50);
    expect(diagnostics.streamCount).toBe(1);
    expect(diagnostics.rejected).toBe(0);
  });

  it('refuses a ninth live stream, and frees the slots of streams idle for more than 10 s', () => {
    let now = 0;
    const diagnostics = new FrameDiagnostics(silentLogger, () => now);
    const released: string[] = [];
    diagnostics.onRelease((id) => released.push(id));
    for (let i = 0; i < MAX_STREAMS; i++) expect(diagnostics.accept(frame(`s${i}`, [0, 0, 0]))).toBe(true);
    expect(diagnostics.accept(frame('one-too-many', [0, 0, 0]))).toBe(false);
    now += STREAM_IDLE_MS - 1;
    diagnostics.accept(frame('s0', [0, 0, 0])); // s0 stays live
    expect(diagnostics.accept(frame('one-too-many', [0, 0, 0]))).toBe(false);
    now += 2;
    expect(diagnostics.accept(frame('one-too-many', [0, 0, 0]))).toBe(true);
    expect(released.sort()).toEqual(['s1', 's2', 's3', 's4', 's5', 's6', 's7']);
    expect(diagnostics.snapshot().map((s) => s.streamId).sort()).toEqual(['one-too-many', 's0']);
  });

  it('drops a released stream\'s waiting frame so no consumer sees it after the call ended', async () => {
    const diagnostics = new FrameDiagnostics(silentLogger);
    const seen: string[] = [];
    diagnostics.onFrame((f) => seen.push(f.streamId));
    diagnostics.accept(frame('call-aaaa', [1, 1, 1]));
    diagnostics.accept(frame('agent', [1, 1, 1]));
    diagnostics.release('call-aaaa');
    await tick();
    expect(seen).toEqual(['agent']);
  });

  it('computes the mean colour', () => {
    expect(meanRgb(solid(4, 4, [10, 20, 30]))).toEqual([10, 20, 30]);
  });
});
