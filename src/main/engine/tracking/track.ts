/**
 * Box tracking between full detections, the way real-time face SDKs do it: the next frame's face box is
 * predicted from this frame's 68 landmarks (plus a damped constant-velocity step), the landmark model runs on
 * the predicted box, and the new landmarks give the box again. The detector's box and the landmarks' bounding
 * box differ by a fixed-ish relation (forehead above the brows, margins beside the jaw), measured on each
 * detection frame and reused between, so a tracked box means the same as a detected one.
 *
 * Pure geometry, unit-tested in tests/unit/engine/tracking.test.ts.
 */
import type { Box, Point } from '../../../shared/engine';
import { iou } from '../geometry';

/** The detector box expressed in the landmarks' bounding box (offsets and sizes as fractions of it). */
export interface BoxRelation {
  dx: number;
  dy: number;
  sw: number;
  sh: number;
}

export function landmarkBounds(lm: readonly Point[]): Box {
  let x1 = Infinity, y1 = Infinity, x2 = -Infinity, y2 = -Infinity;
  for (const [x, y] of lm) {
    if (x < x1) x1 = x;
    if (y < y1) y1 = y;
    if (x > x2) x2 = x;
    if (y > y2) y2 = y;
  }
  return { x: x1, y: y1, width: Math.max(1e-6, x2 - x1), height: Math.max(1e-6, y2 - y1) };
}

export function relationOf(detected: Box, lm: readonly Point[]): BoxRelation {
  const b = landmarkBounds(lm);
  return { dx: (detected.x - b.x) / b.width, dy: (detected.y - b.y) / b.height, sw: detected.width / b.width, sh: detected.height / b.height };
}

/** The detector-style box for these landmarks. */
export function boxFromLandmarks(lm: readonly Point[], rel: BoxRelation): Box {
  const b = landmarkBounds(lm);
  return { x: b.x + rel.dx * b.width, y: b.y + rel.dy * b.height, width: rel.sw * b.width, height: rel.sh * b.height };
}

/** Where the box will be on the next frame: the last box moved by half the last frame-to-frame motion. */
export function predictBox(last: Box, previous: Box | null, damping = 0.5): Box {
  if (!previous) return last;
  const dx = last.x + last.width / 2 - (previous.x + previous.width / 2);
  const dy = last.y + last.height / 2 - (previous.y + previous.height / 2);
  return { ...last, x: last.x + damping * dx, y: last.y + damping * dy };
}

export interface TrackCheck {
  ok: boolean;
  /** Why the track was dropped (diagnostics). */
  reason?: 'moved' | 'outside' | 'too_small' | 'implausible';
}

/**
 * Whether the landmarks found on the predicted box still describe a face we are following. The landmark
 * model always answers, even on a wall, so a face that left shows up as a box that jumps, shrinks, leaves the
 * image or whose eye distance no longer fits its width; the periodic detection catches whatever slips through.
 */
export function checkTrack(predicted: Box, found: Box, points5: readonly Point[], width: number, height: number, minFace = 24): TrackCheck {
  if (found.width < minFace || found.height < minFace) return { ok: false, reason: 'too_small' };
  const cx = found.x + found.width / 2;
  const cy = found.y + found.height / 2;
  if (cx < 0 || cy < 0 || cx > width || cy > height) return { ok: false, reason: 'outside' };
  if (iou(predicted, found) < 0.4) return { ok: false, reason: 'moved' };
  const [le, re] = points5 as [Point, Point];
  const eyeDistance = Math.hypot(re[0] - le[0], re[1] - le[1]);
  const ratio = eyeDistance / found.width;
  if (ratio < 0.15 || ratio > 0.75) return { ok: false, reason: 'implausible' };
  return { ok: true };
}
