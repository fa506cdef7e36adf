/** The first frames of a test video as RGBA (by path from ../shared/testdata; never copied into the repo). */
import { join, resolve } from 'node:path';
import { openVideo, readY4m } from '../../../../src/main/engine/video';

export const TESTDATA = resolve(import.meta.dirname, '../../../../../shared/testdata');

export interface RgbaFrame {
  width: number;
  height: number;
  rgba: Uint8Array;
}

export async function videoFrames(n: number, file = 'faces/video/live_blink_talk_640x480.y4m'): Promise<RgbaFrame[]> {
  const out: RgbaFrame[] = [];
  const { stream, close } = openVideo(join(TESTDATA, file), 640);
  try {
    for await (const f of readY4m(stream, n)) out.push({ width: f.width, height: f.height, rgba: new Uint8Array(f.rgba) });
  } finally {
    close();
  }
  return out;
}
