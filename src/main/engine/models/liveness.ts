/**
 * fr_liveness (passive anti-spoofing): the square face box scaled ×`scale` about its centre (shifted to
 * stay inside the image), 128×128, BGR planes, raw 0..255 — the model follows OpenCV's channel order and
 * needs the context around the face (docs/engine.md). Softmax over 3 classes, index 0 = live.
 */
import type { Box } from '../../../shared/engine';
import { contextCrop, squareBox } from '../geometry';
import { patchToChw, rectToAffine, samplePatch, type RawImage } from '../image';
import { output, softmax, type ModelOutputs, type RunModel } from './run-model';

export const LIVENESS_SIDE = 128;
export const LIVE_CLASS = 0;

export function livenessInput(img: RawImage, box: Box, scale: number): { tensor: Float32Array; dims: number[]; contextOutsideFraction: number } {
  const { rect, outsideFraction } = contextCrop(squareBox(box), scale, img.width, img.height);
  const patch = samplePatch(img, rectToAffine(rect, LIVENESS_SIDE, LIVENESS_SIDE), LIVENESS_SIDE, LIVENESS_SIDE);
  const tensor = patchToChw(patch, LIVENESS_SIDE, LIVENESS_SIDE, [0, 0, 0], [1, 1, 1], 1, true);
  return { tensor, dims: [1, 3, LIVENESS_SIDE, LIVENESS_SIDE], contextOutsideFraction: outsideFraction };
}

/** Probability of the live class. */
export function livenessOutput(outputs: ModelOutputs): number {
  return softmax(output(outputs, 'output'))[LIVE_CLASS]!;
}

export async function liveness(run: RunModel, img: RawImage, box: Box, scale: number): Promise<{ live: number; contextOutsideFraction: number }> {
  const input = livenessInput(img, box, scale);
  return { live: livenessOutput(await run('fr_liveness', input.tensor, input.dims)), contextOutsideFraction: input.contextOutsideFraction };
}
