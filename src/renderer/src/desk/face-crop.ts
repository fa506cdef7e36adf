/** Where to cut a face out of a picture for the side-by-side comparison (same framing for the ID photo and the live video). */
import type { Box } from '../../../shared/engine';

export interface CropOptions {
  /** Extra room on each side, as a share of the face box's larger side. */
  margin: number;
  /** width / height of the crop (portrait, like an ID photo). */
  aspect: number;
}

export const FACE_CROP: CropOptions = { margin: 0.35, aspect: 3 / 4 };

/**
 * A rectangle of the given aspect centred on the face, with the margin, inside the picture (shifted, then shrunk
 * if the picture is smaller). Null for an empty picture or box.
 */
export function cropRect(box: Box, imageWidth: number, imageHeight: number, options: CropOptions = FACE_CROP): Box | null {
  if (imageWidth <= 0 || imageHeight <= 0 || box.width <= 0 || box.height <= 0) return null;
  const side = Math.max(box.width, box.height) * (1 + 2 * options.margin);
  let height = Math.max(side, side / options.aspect);
  let width = height * options.aspect;
  const fit = Math.min(1, imageWidth / width, imageHeight / height);
  width *= fit;
  height *= fit;
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  const x = Math.min(Math.max(cx - width / 2, 0), imageWidth - width);
  const y = Math.min(Math.max(cy - height / 2, 0), imageHeight - height);
  return { x, y, width, height };
}

/** A box from one coordinate space (e.g. the analysis frame) in another (e.g. the video's own pixels). */
export function scaleBox(box: Box, fromWidth: number, fromHeight: number, toWidth: number, toHeight: number): Box {
  const sx = fromWidth > 0 ? toWidth / fromWidth : 0;
  const sy = fromHeight > 0 ? toHeight / fromHeight : 0;
  return { x: box.x * sx, y: box.y * sy, width: box.width * sx, height: box.height * sy };
}
