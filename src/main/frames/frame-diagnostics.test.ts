import { describe, expect, it } from 'vitest';
import { encodeFrame } from '../../shared/frame';
import { silentLogger } from '../log/logger';
import { FrameDiagnostics, meanRgb } from './frame-diagnostics';

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

  it('computes the mean colour', () => {
    expect(meanRgb(solid(4, 4, [10, 20, 30]))).toEqual([10, 20, 30]);
  });
});
