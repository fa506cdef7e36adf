/**
 * fr_age and fr_gender (SSR-Net, Yang et al. 2018): the detector box scaled ×1.4 about its centre (the
 * factor is reduced if that exceeds the image, then the crop is shifted to stay inside — the reference JS's
 * `alignAgeImage`), stretched to 64×64, planes in **BGR** order, each plane normalised with the ImageNet
 * statistics of its position ((v/255 − [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225] applied to B, G, R:
 * what a PyTorch model trained on cv2-loaded images sees). Both models share that input.
 *
 * Colour order: the reference JS feeds RGB, but on the colour photos with a known gender (the 16 labelled
 * faces/identities photos and the 9 documents/ specimens, whose printed sex field is the label) BGR gets
 * 23/25 and RGB 18/25; on grey photos (LFW) the order cannot matter. See docs/engine.md.
 *
 * Each gives the SSR-Net stage outputs — three stages of 3 "probabilities" p (ReLU outputs, not a
 * softmax), a dynamic range Δk (tanh) and 3 index shifts η (tanh) per stage — merged by the soft stagewise
 * regression (λ_local = λ_d = 1, s = 3 per stage):
 *
 *   y = V · Σ_k Σ_i (i + η_k,i) · p_k,i / Π_{j≤k} s·(1 + Δ_j)
 *
 * with V = 101 years for fr_age and V = 1 for fr_gender, whose target was 0 = female, 1 = male (IMDB-WIKI
 * labels). The gender value is a regression score, not a calibrated probability: it is clamped to 0..1 and
 * 0.5 is the boundary. Direction checked on labelled photos (tests/unit/engine/models/age-gender.test.ts).
 */
import type { Box } from '../../../shared/engine';
import { contextCrop } from '../geometry';
import { patchToChw, rectToAffine, samplePatch, type RawImage } from '../image';
import { output, type ModelOutputs, type RunModel } from './run-model';

export const AGE_GENDER_SIDE = 64;
export const AGE_GENDER_SCALE = 1.4;
export const AGE_GENDER_DIMS: readonly number[] = [1, 3, AGE_GENDER_SIDE, AGE_GENDER_SIDE];
/** ImageNet statistics per plane; patchToChw takes them in the patch's R, G, B order, so reversed for BGR planes. */
const PLANE_MEAN = [0.406, 0.456, 0.485];
const PLANE_STD = [0.225, 0.224, 0.229];
/** Output names of both models, per stage. */
export const SSR_STAGES = [
  { p: 'prob_stage_1', delta: 'stage1_delta_k', eta: 'index_offset_stage1' },
  { p: 'prob_stage_2', delta: 'stage2_delta_k', eta: 'index_offset_stage2' },
  { p: 'prob_stage_3', delta: 'stage3_delta_k', eta: 'index_offset_stage3' },
] as const;
export const AGE_RANGE = 101;

export function ageGenderInput(img: RawImage, box: Box): { tensor: Float32Array; dims: readonly number[] } {
  const { rect } = contextCrop(box, AGE_GENDER_SCALE, img.width, img.height);
  const patch = samplePatch(img, rectToAffine(rect, AGE_GENDER_SIDE, AGE_GENDER_SIDE), AGE_GENDER_SIDE, AGE_GENDER_SIDE);
  return { tensor: patchToChw(patch, AGE_GENDER_SIDE, AGE_GENDER_SIDE, PLANE_MEAN, PLANE_STD, 1 / 255, true), dims: AGE_GENDER_DIMS };
}

/** SSR-Net soft stagewise regression (λ_local = λ_d = 1), in units of `range`. */
export function ssrNetMerge(outputs: ModelOutputs, range: number): number {
  let value = 0;
  let divisor = 1;
  for (const stage of SSR_STAGES) {
    const p = output(outputs, stage.p);
    const eta = output(outputs, stage.eta);
    const delta = output(outputs, stage.delta)[0]!;
    divisor *= p.length * (1 + delta);
    let sum = 0;
    for (let i = 0; i < p.length; i++) sum += (i + (eta[i] ?? 0)) * p[i]!;
    value += sum / divisor;
  }
  return value * range;
}

/** Estimated age in years (fr_age). */
export function ageOutput(outputs: ModelOutputs): number {
  return Math.max(0, ssrNetMerge(outputs, AGE_RANGE));
}

/** Gender score of fr_gender, clamped to 0..1: ≥ 0.5 = male (see the file comment). */
export function genderOutput(outputs: ModelOutputs): number {
  return Math.min(1, Math.max(0, ssrNetMerge(outputs, 1)));
}

export async function ageGender(run: RunModel, img: RawImage, box: Box): Promise<{ age: number; male: number }> {
  const input = ageGenderInput(img, box);
  const age = ageOutput(await run('fr_age', input.tensor, input.dims));
  const male = genderOutput(await run('fr_gender', input.tensor, input.dims));
  return { age, male };
}
