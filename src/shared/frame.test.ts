import { describe, expect, it } from 'vitest';
import { analysisSize, decodeFrame, encodeFrame, FRAME_HEADER_BYTES, FrameFormatError } from './frame';

const pixels = (w: number, h: number) => Uint8Array.from({ length: w * h * 4 }, (_, i) => i % 251);

describe('frame channel encoding', () => {
  it('round-trips header and pixels', () => {
    const rgba = pixels(4, 3);
    const frame = decodeFrame(encodeFrame({ streamId: 'agent', width: 4, height: 3, capturedAt: 1234.5 }, rgba));
    expect(frame).toMatchObject({ streamId: 'agent', width: 4, height: 3, capturedAt: 1234.5 });
    expect(Array.from(frame.rgba)).toEqual(Array.from(rgba));
  });

  it.each([
    ['too short', () => new Uint8Array(10)],
    ['bad magic', () => new Uint8Array(encodeFrame({ streamId: 'a', width: 1, height: 1, capturedAt: 0 }, pixels(1, 1))).fill(0, 0, 4)],
    ['pixel length mismatch', () => new Uint8Array(encodeFrame({ streamId: 'a', width: 2, height: 2, capturedAt: 0 }, pixels(2, 2))).subarray(0, FRAME_HEADER_BYTES + 4)],
    [
      'width beyond 640',
      () => {
        const buf = new Uint8Array(encodeFrame({ streamId: 'a', width: 1, height: 1, capturedAt: 0 }, pixels(1, 1)));
        new DataView(buf.buffer).setUint16(8, 641, true);
        return buf;
      },
    ],
  ])('rejects a frame: %s', (_what, make) => {
    expect(() => decodeFrame(make())).toThrow(FrameFormatError);
  });

  it('refuses invalid stream ids on both sides', () => {
    expect(() => encodeFrame({ streamId: '../x', width: 1, height: 1, capturedAt: 0 }, pixels(1, 1))).toThrow(FrameFormatError);
  });

  it('downsamples to the analysis width keeping the aspect ratio, never upscaling', () => {
    expect(analysisSize(1280, 720, 640)).toEqual({ width: 640, height: 360 });
    expect(analysisSize(320, 240, 640)).toEqual({ width: 320, height: 240 });
    expect(analysisSize(1920, 1080, 480)).toEqual({ width: 480, height: 270 });
  });
});
