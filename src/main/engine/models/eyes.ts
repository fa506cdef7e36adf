/**
 * fr_eye (open/closed): a square about each eye (side = corner distance × padding), 24×24 grey, v/255.
 * Softmax over 2 classes, index 1 = open (checked on an open-eyed frame outside the benchmark sets,
 * docs/engine.md). "left" = the eye on the image's left.
 */
import type { Eyes, Point } from '../../../shared/engine';
import type { EngineConfig } from '../config';
import { eyeCrop } from '../geometry';
import { patchToGrey, rectToAffine, samplePatch, type RawImage } from '../image';
import { output, softmax, type ModelOutputs, type RunModel } from './run-model';

export const EYE_SIDE = 24;
export const OPEN_CLASS = 1;

export function eyeInput(img: RawImage, lm: readonly Point[], which: 'left' | 'right', padding: number): { tensor: Float32Array; dims: number[] } {
  const patch = samplePatch(img, rectToAffine(eyeCrop(lm, which, padding), EYE_SIDE, EYE_SIDE), EYE_SIDE, EYE_SIDE);
  const tensor = patchToGrey(patch, EYE_SIDE, EYE_SIDE);
  for (let i = 0; i < tensor.length; i++) tensor[i] = tensor[i]! / 255;
  return { tensor, dims: [1, 1, EYE_SIDE, EYE_SIDE] };
}

/** Probability that the eye is open. */
export function eyeOutput(outputs: ModelOutputs): number {
  return softmax(output(outputs, 'output'))[OPEN_CLASS]!;
}

/** Both eyes; `open` when their mean open probability reaches the configured cut. */
export async function eyes(run: RunModel, img: RawImage, lm: readonly Point[], config: Pick<EngineConfig, 'eyePadding' | 'eyeOpenProbability'>): Promise<Eyes> {
  const open: number[] = [];
  for (const which of ['left', 'right'] as const) {
    const input = eyeInput(img, lm, which, config.eyePadding);
    open.push(eyeOutput(await run('fr_eye', input.tensor, input.dims)));
  }
  const [leftOpen, rightOpen] = open as [number, number];
  return { leftOpen, rightOpen, open: (leftOpen + rightOpen) / 2 >= config.eyeOpenProbability };
}
