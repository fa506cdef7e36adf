import { describe, expect, it } from 'vitest';
import { cropRect, scaleBox } from './face-crop';

describe('cropRect', () => {
  it('a portrait crop centred on the face, with room around it', () => {
    const crop = cropRect({ x: 400, y: 300, width: 100, height: 100 }, 1280, 720, { margin: 0.5, aspect: 0.75 })!;
    expect(crop.width / crop.height).toBeCloseTo(0.75);
    expect(crop.height).toBeCloseTo(200 / 0.75);
    expect(crop.x + crop.width / 2).toBeCloseTo(450);
    expect(crop.y + crop.height / 2).toBeCloseTo(350);
  });

  it('stays inside the picture at its edges', () => {
    const crop = cropRect({ x: 0, y: 0, width: 80, height: 80 }, 640, 480)!;
    expect(crop.x).toBe(0);
    expect(crop.y).toBe(0);
    const far = cropRect({ x: 600, y: 440, width: 40, height: 40 }, 640, 480)!;
    expect(far.x + far.width).toBeCloseTo(640);
    expect(far.y + far.height).toBeCloseTo(480);
  });

  it('shrinks to a picture smaller than the crop, keeping the aspect', () => {
    const crop = cropRect({ x: 10, y: 10, width: 180, height: 220 }, 200, 240)!;
    expect(crop.width).toBeLessThanOrEqual(200);
    expect(crop.height).toBeLessThanOrEqual(240);
    expect(crop.width / crop.height).toBeCloseTo(0.75);
  });

  it('nothing for an empty picture or box', () => {
    expect(cropRect({ x: 0, y: 0, width: 0, height: 10 }, 100, 100)).toBeNull();
    expect(cropRect({ x: 0, y: 0, width: 10, height: 10 }, 0, 100)).toBeNull();
  });
});

describe('scaleBox', () => {
  it('from the analysis frame to the video’s pixels', () => {
    expect(scaleBox({ x: 10, y: 20, width: 30, height: 40 }, 320, 240, 1280, 960)).toEqual({ x: 40, y: 80, width: 120, height: 160 });
  });
});
