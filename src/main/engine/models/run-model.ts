/**
 * The one seam between the pre/post-processing of each model and onnxruntime: model modules take a
 * `RunModel` function instead of sessions, so their tensor maths is unit-tested with a fake and the
 * engine can run some models in another thread (the embedder) behind the same signature.
 * No onnxruntime import here on purpose.
 */
import { AppFailure } from '../../../shared/errors';
import type { EngineModelName } from '../manifest';

/** Every output tensor of one inference, by output name (flat data, shapes as in models/manifest.json). */
export type ModelOutputs = Record<string, Float32Array>;

/** Runs model `name` on one float32 input tensor of shape `dims`. */
export type RunModel = (name: EngineModelName, input: Float32Array, dims: readonly number[]) => Promise<ModelOutputs>;

/** Numerically stable softmax (the classifier heads give logits). */
export function softmax(values: ArrayLike<number>): number[] {
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) max = Math.max(max, values[i]!);
  const exps = Array.from(values, (v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

/** One named output; a missing one means the model file does not match its manifest contract. */
export function output(outputs: ModelOutputs, name: string): Float32Array {
  const t = outputs[name];
  if (!t) throw new AppFailure('INTERNAL', `model output ${name} missing`);
  return t;
}
