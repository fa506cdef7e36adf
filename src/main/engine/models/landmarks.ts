/**
 * fr_landmark: the square face box (side = box height) resized to 64×64 grey, v/256; outputs 68 iBUG
 * points normalised to that square.
 */
import type { Box, Point } from '../../../shared/engine';
import { squareBox } from '../geometry';
import { patchToGrey, rectToAffine, samplePatch, type RawImage, type Rect } from '../image';
import { output, type ModelOutputs, type RunModel } from './run-model';

export const LANDMARK_SIDE = 64;
export const LANDMARK_COUNT = 68;

export function landmarkInput(img: RawImage, box: Box): { tensor: Float32Array; dims: number[]; square: Rect } {
  const square = squareBox(box);
  const patch = samplePatch(img, rectToAffine(square, LANDMARK_SIDE, LANDMARK_SIDE), LANDMARK_SIDE, LANDMARK_SIDE);
  const tensor = patchToGrey(patch, LANDMARK_SIDE, LANDMARK_SIDE);
  // the model was trained on v/256 (not /255): see models/manifest.json
  for (let i = 0; i < tensor.length; i++) tensor[i] = tensor[i]! / 256;
  return { tensor, dims: [1, 1, LANDMARK_SIDE, LANDMARK_SIDE], square };
}

/** Normalised (x, y) pairs → image pixels. */
export function landmarkOutput(outputs: ModelOutputs, square: Rect): Point[] {
  const out = output(outputs, 'output');
  const points: Point[] = [];
  for (let i = 0; i < LANDMARK_COUNT; i++) points.push([square.x + out[2 * i]! * square.width, square.y + out[2 * i + 1]! * square.height]);
  return points;
}

export async function landmarks(run: RunModel, img: RawImage, box: Box): Promise<Point[]> {
  const input = landmarkInput(img, box);
  return landmarkOutput(await run('fr_landmark', input.tensor, input.dims), input.square);
}
