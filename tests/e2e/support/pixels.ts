import type { Page } from 'playwright-core';

/**
 * Mean colour of what a <video> element shows right now: the whole picture, its left bar (the test
 * files have 80-px black side bars) and a 200×200 centre, read back through a canvas in the page.
 */
export function videoPixels(page: Page, testId: string) {
  return page.evaluate((id) => {
    const video = document.querySelector<HTMLVideoElement>(`[data-testid="${id}"]`)!;
    const canvas = document.createElement('canvas');
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    const context = canvas.getContext('2d')!;
    context.drawImage(video, 0, 0);
    const mean = (x0: number, y0: number, w: number, h: number) => {
      const data = context.getImageData(x0, y0, w, h).data;
      const sum = [0, 0, 0];
      for (let i = 0; i < data.length; i += 4) for (let c = 0; c < 3; c++) sum[c]! += data[i + c]!;
      return sum.map((s) => s / (data.length / 4));
    };
    return {
      width: canvas.width,
      height: canvas.height,
      whole: mean(0, 0, canvas.width, canvas.height),
      leftBar: mean(0, 0, Math.round(canvas.width * 0.09), canvas.height),
      centre: mean(canvas.width / 2 - 100, canvas.height / 2 - 100, 200, 200),
    };
  }, testId);
}
