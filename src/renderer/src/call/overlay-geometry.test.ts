import { describe, expect, it } from 'vitest';
import { analysisToDisplay, containRect } from './overlay-geometry';

describe('containRect (object-fit: contain)', () => {
  it('pillarboxes a 4:3 picture in a wide element', () => {
    expect(containRect(1600, 900, 640, 480)).toEqual({ x: 200, y: 0, width: 1200, height: 900 });
  });
  it('letterboxes a 16:9 picture in a 4:3 element', () => {
    expect(containRect(800, 600, 1280, 720)).toEqual({ x: 0, y: 75, width: 800, height: 450 });
  });
  it('is empty while the video has no size yet', () => {
    expect(containRect(800, 600, 0, 0)).toEqual({ x: 0, y: 0, width: 0, height: 0 });
  });
});

describe('analysisToDisplay', () => {
  it('scales analysis pixels (a downsampled frame) into the displayed picture', () => {
    const rect = containRect(1600, 900, 1280, 960); // picture 1200×900 at x = 200
    const map = analysisToDisplay(rect, 640, 480);
    expect(map(0, 0)).toEqual([200, 0]);
    expect(map(320, 240)).toEqual([800, 450]);
    expect(map(640, 480)).toEqual([1400, 900]);
  });
});
