import { createReadStream } from 'node:fs';
import { readY4m } from '../../src/main/engine/video';

export interface Y4mInfo {
  width: number;
  height: number;
  frames: number;
  /** Mean RGB of each frame, decoded as browsers decode webcam I420 (BT.601 limited range). */
  frameMeans: Array<[number, number, number]>;
}

/** Measures each frame's mean colour of a .y4m file (decoded by the engine's y4m reader). */
export async function measureY4m(path: string): Promise<Y4mInfo> {
  const frameMeans: Array<[number, number, number]> = [];
  let width = 0;
  let height = 0;
  for await (const frame of readY4m(createReadStream(path))) {
    ({ width, height } = frame);
    const sum = [0, 0, 0];
    for (let i = 0; i < frame.rgba.length; i += 4) for (let c = 0; c < 3; c++) sum[c]! += frame.rgba[i + c]!;
    const pixels = frame.rgba.length / 4;
    frameMeans.push([sum[0]! / pixels, sum[1]! / pixels, sum[2]! / pixels]);
  }
  return { width, height, frames: frameMeans.length, frameMeans };
}
