/**
 * One face check on the engine: the agent's frames (JPEG/PNG/WebP stills from the renderer, checked by size and by
 * content before the engine decodes them) analysed one by one, then ./presence-decision.ts. Frames are never stored.
 */
import type { ImageAnalysis } from '../../shared/engine';
import { AppFailure } from '../../shared/errors';
import { MAX_CHECK_FRAME_BYTES, MAX_CHECK_FRAMES, type ShiftCheck } from '../../shared/shift';
import type { Calibration } from '../engine/calibration';
import { assertStillImage } from '../engine/image-type';
import { decidePresence } from './presence-decision';

export interface PresenceEngine {
  analyzeImage(bytes: Uint8Array): Promise<ImageAnalysis>;
  getCalibration(): Calibration;
}

/** Base64 frames → bytes, refused as a whole (CORRUPT_INPUT) before the engine sees any when one is not an image. */
export function decodeFrames(frames: readonly string[]): Buffer[] {
  if (frames.length === 0 || frames.length > MAX_CHECK_FRAMES) throw new AppFailure('CORRUPT_INPUT', `a face check takes 1 to ${MAX_CHECK_FRAMES} frames`);
  return frames.map((b64, i) => {
    const bytes = Buffer.from(b64, 'base64');
    if (bytes.length > MAX_CHECK_FRAME_BYTES) throw new AppFailure('CORRUPT_INPUT', `frame ${i + 1} is too large (${bytes.length} bytes, at most ${MAX_CHECK_FRAME_BYTES})`);
    assertStillImage(bytes);
    return bytes;
  });
}

export type PresenceOutcome = Omit<ShiftCheck, 'checkId' | 'kind' | 'at'>;

export async function runPresenceCheck(engine: PresenceEngine, frames: readonly Buffer[], enrolled: ArrayLike<number>): Promise<PresenceOutcome> {
  const calibration = engine.getCalibration();
  const analyses: ImageAnalysis[] = [];
  // one at a time: the engine process takes images in order anyway, and the customer's call keeps its share
  for (const frame of frames) analyses.push(await engine.analyzeImage(frame));
  const decision = decidePresence(
    analyses.map((a) => ({ faces: a.faces.length, embedding: a.embedding })),
    enrolled,
    calibration,
  );
  return { ...decision, modelSha256: calibration.modelSha256, facesPerFrame: analyses.map((a) => a.faces.length) };
}
