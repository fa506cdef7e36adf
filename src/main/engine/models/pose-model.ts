/**
 * fr_pose (the network; landmark-pose.ts is the cheap per-frame estimate): the square face box grown ×1.5,
 * clipped, 224×224 RGB with ImageNet normalisation. Three heads of 66 bins of 3° each; the angle is the
 * softmax expectation × 3 − 99 degrees (HopeNet-style). Output names as exported: output = yaw,
 * 617 = pitch, 618 = roll. Positive yaw = the face turned towards the image's right (docs/engine.md).
 */
import type { Box, Pose } from '../../../shared/engine';
import { clipRect, scaleBox, squareBox } from '../geometry';
import { patchToChw, rectToAffine, samplePatch, type RawImage } from '../image';
import { output, softmax, type ModelOutputs, type RunModel } from './run-model';

export const POSE_SIDE = 224;
const IMAGENET_MEAN = [0.485, 0.456, 0.406];
const IMAGENET_STD = [0.229, 0.224, 0.225];
export const POSE_HEADS = { yaw: 'output', pitch: '617', roll: '618' } as const;

export function poseInput(img: RawImage, box: Box): { tensor: Float32Array; dims: number[] } {
  const grown = clipRect(scaleBox(squareBox(box), 1.5), img.width, img.height);
  const patch = samplePatch(img, rectToAffine(grown, POSE_SIDE, POSE_SIDE), POSE_SIDE, POSE_SIDE);
  return { tensor: patchToChw(patch, POSE_SIDE, POSE_SIDE, IMAGENET_MEAN, IMAGENET_STD, 1 / 255), dims: [1, 3, POSE_SIDE, POSE_SIDE] };
}

export function poseOutput(outputs: ModelOutputs): Pose {
  const angle = (name: string) => softmax(output(outputs, name)).reduce((acc, p, i) => acc + p * i, 0) * 3 - 99;
  return { yaw: angle(POSE_HEADS.yaw), pitch: angle(POSE_HEADS.pitch), roll: angle(POSE_HEADS.roll) };
}

export async function poseModel(run: RunModel, img: RawImage, box: Box): Promise<Pose> {
  const input = poseInput(img, box);
  return poseOutput(await run('fr_pose', input.tensor, input.dims));
}
