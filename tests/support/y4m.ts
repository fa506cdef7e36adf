import { openSync, readSync, closeSync, fstatSync } from 'node:fs';

export interface Y4mInfo {
  width: number;
  height: number;
  frames: number;
  /** Mean RGB of each frame (BT.601 limited range → full-range RGB, as browsers convert webcam I420). */
  frameMeans: Array<[number, number, number]>;
}

/** Reads a YUV4MPEG2 (I420) file and measures each frame's mean colour. */
export function readY4m(path: string): Y4mInfo {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(256);
    readSync(fd, head, 0, head.length, 0);
    const headerEnd = head.indexOf(0x0a);
    const header = head.subarray(0, headerEnd).toString('ascii');
    const width = Number(/ W(\d+)/.exec(header)?.[1]);
    const height = Number(/ H(\d+)/.exec(header)?.[1]);
    const frameBytes = (width * height * 3) / 2;
    const total = fstatSync(fd).size;
    const frameMeans: Array<[number, number, number]> = [];
    let offset = headerEnd + 1;
    const frame = Buffer.alloc(frameBytes);
    while (offset < total) {
      const marker = Buffer.alloc(6);
      readSync(fd, marker, 0, 6, offset);
      if (marker.toString('ascii', 0, 5) !== 'FRAME') break;
      const lineEnd = offset + 6; // 'FRAME\n' (no frame parameters in these files)
      readSync(fd, frame, 0, frameBytes, lineEnd);
      frameMeans.push(meanRgbI420(frame, width, height));
      offset = lineEnd + frameBytes;
    }
    return { width, height, frames: frameMeans.length, frameMeans };
  } finally {
    closeSync(fd);
  }
}

function meanRgbI420(data: Buffer, width: number, height: number): [number, number, number] {
  const uOffset = width * height;
  const vOffset = uOffset + (width * height) / 4;
  let r = 0;
  let g = 0;
  let b = 0;
  let n = 0;
  for (let y = 0; y < height; y += 2) {
    for (let x = 0; x < width; x += 2) {
      const Y = 1.164 * (data[y * width + x]! - 16);
      const ci = (y / 2) * (width / 2) + x / 2;
      const U = data[uOffset + ci]! - 128;
      const V = data[vOffset + ci]! - 128;
      r += clamp(Y + 1.596 * V);
      g += clamp(Y - 0.392 * U - 0.813 * V);
      b += clamp(Y + 2.017 * U);
      n += 1;
    }
  }
  return [r / n, g / n, b / n];
}

const clamp = (v: number) => Math.min(255, Math.max(0, v));
