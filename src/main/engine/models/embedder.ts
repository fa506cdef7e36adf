/**
 * fr_feature (the face embedding): the face warped by a 5-point least-squares similarity onto the
 * ArcFace 112×112 template, RGB, (v−127)/128; the 512-d output is L2-normalised so that comparison is a
 * dot product (cosine.ts). The aligned patch is made where the frame is (it also feeds the quality
 * measures) and only the 112×112 patch travels to the embedding thread.
 */
import type { Point } from '../../../shared/engine';
import { l2normalize } from '../cosine';
import { ARCFACE_TEMPLATE, estimateSimilarity, similarityToSamplingAffine } from '../geometry';
import { patchToChw, samplePatch, type RawImage } from '../image';
import { output, type ModelOutputs, type RunModel } from './run-model';

export const ALIGNED_SIDE = 112;
export const EMBEDDER_DIMS: readonly number[] = [1, 3, ALIGNED_SIDE, ALIGNED_SIDE];

/** 112×112 aligned RGB patch (HWC, 0..255) for the 5 points. */
export function alignedPatch(img: RawImage, points5: readonly Point[]): Float32Array {
  const t = estimateSimilarity(points5, ARCFACE_TEMPLATE);
  return samplePatch(img, similarityToSamplingAffine(t), ALIGNED_SIDE, ALIGNED_SIDE);
}

export function embedderInput(aligned: Float32Array): Float32Array {
  return patchToChw(aligned, ALIGNED_SIDE, ALIGNED_SIDE, [127, 127, 127], [128, 128, 128]);
}

/** Unit-length embedding. */
export function embedderOutput(outputs: ModelOutputs): Float32Array {
  return l2normalize(output(outputs, 'output'));
}

export async function embed(run: RunModel, aligned: Float32Array): Promise<Float32Array> {
  return embedderOutput(await run('fr_feature', embedderInput(aligned), EMBEDDER_DIMS));
}
