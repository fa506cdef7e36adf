/**
 * fr_detect: letterboxed 320×240 RGB input, (v−127)/128; outputs already-softmaxed scores and normalised
 * corner boxes (no priors). Post-processing maps boxes back to image pixels, drops boxes that lie in the
 * letterbox padding and runs our NMS. Stills that show nothing at full size (a small portrait on a document)
 * are re-scanned in overlapping tiles.
 */
import type { EngineConfig } from '../config';
import { clipRect, decodeDetections, nms, type Detection } from '../geometry';
import { patchToChw, rectToAffine, samplePatch, type RawImage, type Rect } from '../image';
import { output, type ModelOutputs, type RunModel } from './run-model';

export const DET_W = 320;
export const DET_H = 240;
/** Letterbox fill: grey 127 becomes 0 after normalisation. */
const PAD = 127;

export interface DetectorInput {
  tensor: Float32Array;
  dims: number[];
  /** Detector pixels per image pixel. */
  scale: number;
  /** The image region that was letterboxed into the input (top-left aligned). */
  region: Rect;
}

export type DetectorConfig = Pick<EngineConfig, 'detectThreshold' | 'nmsIou' | 'maxFaces'>;

/** `region` (default: the whole image) scaled to fit 320×240, anchored top-left, padded with grey. */
export function detectorInput(img: RawImage, region?: Rect): DetectorInput {
  const r = region ?? { x: 0, y: 0, width: img.width, height: img.height };
  const scale = Math.min(DET_W / r.width, DET_H / r.height);
  const sampled: Rect = { x: r.x, y: r.y, width: DET_W / scale, height: DET_H / scale };
  const patch = samplePatch(img, rectToAffine(sampled, DET_W, DET_H), DET_W, DET_H, PAD);
  const tensor = patchToChw(patch, DET_W, DET_H, [127, 127, 127], [128, 128, 128]);
  return { tensor, dims: [1, 3, DET_H, DET_W], scale, region: r };
}

/** Scores/boxes → faces in image pixels, highest score first, overlaps suppressed. */
export function detectorOutput(outputs: ModelOutputs, input: Pick<DetectorInput, 'scale' | 'region'>, config: DetectorConfig): Detection[] {
  const { scale, region: r } = input;
  const dets = decodeDetections(output(outputs, 'scores'), output(outputs, 'boxes'), DET_W, DET_H, config.detectThreshold);
  const mapped = dets
    .map((d) => ({ score: d.score, box: { x: r.x + d.box.x / scale, y: r.y + d.box.y / scale, width: d.box.width / scale, height: d.box.height / scale } }))
    // drop boxes that lie mostly in the letterbox padding
    .filter((d) => d.box.x + d.box.width / 2 < r.x + r.width && d.box.y + d.box.height / 2 < r.y + r.height);
  return nms(mapped, config.nmsIou, config.maxFaces);
}

/** Detects faces in `region` (default: the whole image). */
export async function detect(run: RunModel, img: RawImage, config: DetectorConfig, region?: Rect): Promise<Detection[]> {
  const input = detectorInput(img, region);
  return detectorOutput(await run('fr_detect', input.tensor, input.dims), input, config);
}

export interface StillDetections {
  detections: Detection[];
  mode: 'full' | 'tiled' | 'none';
}

/** Still images: whole image first; if nothing is found, overlapping tiles (small portraits on documents). */
export async function detectStill(run: RunModel, img: RawImage, config: DetectorConfig & Pick<EngineConfig, 'tileGrids'>): Promise<StillDetections> {
  const full = await detect(run, img, config);
  if (full.length > 0) return { detections: full, mode: 'full' };
  for (const n of config.tileGrids) {
    const tw = img.width / n;
    const th = img.height / n;
    const all: Detection[] = [];
    // tiles of 1/n of the image with 50 % overlap
    for (let ty = 0; ty <= 2 * (n - 1); ty++) {
      for (let tx = 0; tx <= 2 * (n - 1); tx++) {
        const rect = clipRect({ x: (tx * tw) / 2, y: (ty * th) / 2, width: tw, height: th }, img.width, img.height);
        all.push(...(await detect(run, img, config, rect)));
      }
    }
    const kept = nms(all, config.nmsIou, config.maxFaces);
    if (kept.length > 0) return { detections: kept, mode: 'tiled' };
  }
  return { detections: [], mode: 'none' };
}
