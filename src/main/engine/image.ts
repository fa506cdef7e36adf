/**
 * Pixel sampling without native dependencies: crops, resizes and affine warps straight into model
 * input tensors. Images are interleaved 8-bit RGB (stills from sharp) or RGBA (video frames).
 */

export interface RawImage {
  width: number;
  height: number;
  channels: 3 | 4;
  data: Uint8Array;
}

/** Maps an output pixel (u, v) to a source position: x = a·u + b·v + c, y = d·u + e·v + f (pixel centres). */
export type Affine = readonly [a: number, b: number, c: number, d: number, e: number, f: number];

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The affine that samples `rect` of the source into an outW × outH patch. */
export function rectToAffine(rect: Rect, outW: number, outH: number): Affine {
  const sx = rect.width / outW;
  const sy = rect.height / outH;
  return [sx, 0, rect.x + 0.5 * sx - 0.5, 0, sy, rect.y + 0.5 * sy - 0.5];
}

/**
 * Samples the source through `map` into an RGB float patch (HWC, values 0..255). Bilinear like OpenCV's
 * INTER_LINEAR (what the models were trained with); edge pixels are replicated outside the image (or
 * `fill` is used when given). Only for strong downscaling (> 3×, large stills) several taps per output
 * pixel are averaged so that small faces survive the reduction.
 */
export function samplePatch(img: RawImage, map: Affine, outW: number, outH: number, fill?: number): Float32Array {
  const [a, b, c, d, e, f] = map;
  const scale = Math.max(Math.hypot(a, d), Math.hypot(b, e));
  const taps = scale > 3 ? Math.min(4, Math.ceil(scale / 2)) : 1;
  if (b === 0 && d === 0) return sampleAxisAligned(img, a, c, e, f, outW, outH, taps, fill);
  return sampleGeneral(img, map, outW, outH, taps, fill);
}

/** Precomputed source index/weight tables per output column and row (crops and resizes). */
function sampleAxisAligned(img: RawImage, sx: number, cx: number, sy: number, cy: number, outW: number, outH: number, taps: number, fill?: number): Float32Array {
  const { width, height, channels, data } = img;
  const out = new Float32Array(outW * outH * 3);
  const table = (n: number, s: number, off: number, max: number) => {
    const i0 = new Int32Array(n * taps);
    const i1 = new Int32Array(n * taps);
    const w = new Float32Array(n * taps);
    const inside = new Uint8Array(n * taps);
    for (let k = 0; k < n; k++) {
      for (let t = 0; t < taps; t++) {
        const kk = taps === 1 ? k : k - 0.5 + (t + 0.5) / taps;
        let x = s * kk + off;
        inside[k * taps + t] = x >= -0.5 && x <= max + 0.5 ? 1 : 0;
        x = x < 0 ? 0 : x > max ? max : x;
        const x0 = Math.floor(x);
        i0[k * taps + t] = x0;
        i1[k * taps + t] = x0 < max ? x0 + 1 : x0;
        w[k * taps + t] = x - x0;
      }
    }
    return { i0, i1, w, inside };
  };
  const X = table(outW, sx, cx, width - 1);
  const Y = table(outH, sy, cy, height - 1);
  const inv = 1 / (taps * taps);
  let o = 0;
  for (let v = 0; v < outH; v++) {
    for (let u = 0; u < outW; u++) {
      let r = 0, g = 0, bl = 0;
      for (let ty = 0; ty < taps; ty++) {
        const yi = v * taps + ty;
        const fy = Y.w[yi]!;
        const row0 = Y.i0[yi]! * width;
        const row1 = Y.i1[yi]! * width;
        for (let tx = 0; tx < taps; tx++) {
          const xi = u * taps + tx;
          if (fill !== undefined && (X.inside[xi] === 0 || Y.inside[yi] === 0)) {
            r += fill;
            g += fill;
            bl += fill;
            continue;
          }
          const fx = X.w[xi]!;
          const i00 = (row0 + X.i0[xi]!) * channels;
          const i01 = (row0 + X.i1[xi]!) * channels;
          const i10 = (row1 + X.i0[xi]!) * channels;
          const i11 = (row1 + X.i1[xi]!) * channels;
          const w00 = (1 - fx) * (1 - fy), w01 = fx * (1 - fy), w10 = (1 - fx) * fy, w11 = fx * fy;
          r += data[i00]! * w00 + data[i01]! * w01 + data[i10]! * w10 + data[i11]! * w11;
          g += data[i00 + 1]! * w00 + data[i01 + 1]! * w01 + data[i10 + 1]! * w10 + data[i11 + 1]! * w11;
          bl += data[i00 + 2]! * w00 + data[i01 + 2]! * w01 + data[i10 + 2]! * w10 + data[i11 + 2]! * w11;
        }
      }
      out[o++] = r * inv;
      out[o++] = g * inv;
      out[o++] = bl * inv;
    }
  }
  return out;
}

function sampleGeneral(img: RawImage, map: Affine, outW: number, outH: number, taps: number, fill?: number): Float32Array {
  const out = new Float32Array(outW * outH * 3);
  const [a, b, c, d, e, f] = map;
  const { width, height, channels, data } = img;
  const maxX = width - 1;
  const maxY = height - 1;
  const inv = 1 / (taps * taps);
  let o = 0;
  for (let v = 0; v < outH; v++) {
    for (let u = 0; u < outW; u++) {
      let r = 0;
      let g = 0;
      let bl = 0;
      for (let ty = 0; ty < taps; ty++) {
        const vv = taps === 1 ? v : v - 0.5 + (ty + 0.5) / taps;
        for (let tx = 0; tx < taps; tx++) {
          const uu = taps === 1 ? u : u - 0.5 + (tx + 0.5) / taps;
          let x = a * uu + b * vv + c;
          let y = d * uu + e * vv + f;
          if (fill !== undefined && (x < -0.5 || y < -0.5 || x > maxX + 0.5 || y > maxY + 0.5)) {
            r += fill;
            g += fill;
            bl += fill;
            continue;
          }
          x = x < 0 ? 0 : x > maxX ? maxX : x;
          y = y < 0 ? 0 : y > maxY ? maxY : y;
          const x0 = x | 0;
          const y0 = y | 0;
          const x1 = x0 < maxX ? x0 + 1 : x0;
          const y1 = y0 < maxY ? y0 + 1 : y0;
          const fx = x - x0;
          const fy = y - y0;
          const i00 = (y0 * width + x0) * channels;
          const i01 = (y0 * width + x1) * channels;
          const i10 = (y1 * width + x0) * channels;
          const i11 = (y1 * width + x1) * channels;
          const w00 = (1 - fx) * (1 - fy);
          const w01 = fx * (1 - fy);
          const w10 = (1 - fx) * fy;
          const w11 = fx * fy;
          r += data[i00]! * w00 + data[i01]! * w01 + data[i10]! * w10 + data[i11]! * w11;
          g += data[i00 + 1]! * w00 + data[i01 + 1]! * w01 + data[i10 + 1]! * w10 + data[i11 + 1]! * w11;
          bl += data[i00 + 2]! * w00 + data[i01 + 2]! * w01 + data[i10 + 2]! * w10 + data[i11 + 2]! * w11;
        }
      }
      out[o++] = r * inv;
      out[o++] = g * inv;
      out[o++] = bl * inv;
    }
  }
  return out;
}

/**
 * HWC RGB patch → NCHW tensor data with per-channel (v·scale − mean)/std normalisation (mean/std given in
 * the output channel order). `bgr` writes the planes in B, G, R order.
 */
export function patchToChw(patch: Float32Array, w: number, h: number, mean: readonly number[], std: readonly number[], scale = 1, bgr = false): Float32Array {
  const plane = w * h;
  const out = new Float32Array(plane * 3);
  const first = bgr ? 2 * plane : 0;
  const third = bgr ? 0 : 2 * plane;
  const m0 = mean[0] ?? 0, m1 = mean[1] ?? 0, m2 = mean[2] ?? 0;
  const s0 = 1 / (std[0] ?? 1), s1 = 1 / (std[1] ?? 1), s2 = 1 / (std[2] ?? 1);
  for (let i = 0, p = 0; i < plane; i++, p += 3) {
    out[first + i] = (patch[p]! * scale - m0) * s0;
    out[plane + i] = (patch[p + 1]! * scale - m1) * s1;
    out[third + i] = (patch[p + 2]! * scale - m2) * s2;
  }
  return out;
}

/** HWC RGB patch → single-channel luma (BT.601), values 0..255. */
export function patchToGrey(patch: Float32Array, w: number, h: number): Float32Array {
  const out = new Float32Array(w * h);
  for (let i = 0, p = 0; i < out.length; i++, p += 3) out[i] = 0.299 * patch[p]! + 0.587 * patch[p + 1]! + 0.114 * patch[p + 2]!;
  return out;
}

export function meanStd(values: Float32Array): { mean: number; std: number } {
  let sum = 0;
  let sq = 0;
  for (const v of values) {
    sum += v;
    sq += v * v;
  }
  const mean = sum / Math.max(1, values.length);
  return { mean, std: Math.sqrt(Math.max(0, sq / Math.max(1, values.length) - mean * mean)) };
}

/** Variance of the 4-neighbour Laplacian of a grey image (a standard focus/blur measure). */
export function laplacianVariance(grey: Float32Array, w: number, h: number): number {
  let sum = 0;
  let sq = 0;
  let n = 0;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      const lap = grey[i - 1]! + grey[i + 1]! + grey[i - w]! + grey[i + w]! - 4 * grey[i]!;
      sum += lap;
      sq += lap * lap;
      n++;
    }
  }
  if (n === 0) return 0;
  const mean = sum / n;
  return sq / n - mean * mean;
}
