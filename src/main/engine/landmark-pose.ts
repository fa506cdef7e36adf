/**
 * A cheap head-pose estimate from the 68 landmarks (DESIGN.md §5: "a landmark pose estimate every frame"),
 * so the every-frame path need not run the ~5 ms fr_pose network; fr_pose stays for key frames.
 * Geometry only: roll from the eye line; after undoing the roll, yaw from where the nose tip sits between
 * the cheek contour, pitch from how far below the eye line it sits relative to the face height. Each ratio
 * is mapped to degrees by a line fitted to fr_pose on real images (scripts/fit-landmark-pose.ts), so signs,
 * scale and offsets follow fr_pose: positive yaw = nose towards the image's LEFT (the subject turning to
 * their own right; the "right-facing" profile faces/pose/ham_t1.90s gives ≈ +60), positive pitch = chin up,
 * positive roll = the eye line turned clockwise in the image.
 *
 * Fit (827 faces in 137 groups: faces/pose, faces/identities, every frame of the two source videos, and
 * faces/identities-east-asian; each group weighted equally) and leave-one-group-out cross-validation
 * (group = one person, one pose frame, or one second of one video), MAE against fr_pose:
 *   yaw 8.8° overall (identities 6.4°, east-asian 6.6°, video 10.8°, the 6 pose frames 22.7°);
 *   by |fr_pose yaw|: 0–10° 7.6°, 10–20° 9.6°, 20–30° 9.0°, 30–45° 17.5°, 45–90° 40°: the estimate
 *   saturates near ±40° (a profile's far contour is hidden, the 64×64 landmark model guesses it), so it is a
 *   "turned / not turned and which way" signal, not a profile angle. Same sign as fr_pose for 83/90
 *   faces with |yaw| > 20° (6/6 of the pose frames and identity photos); 4 of the 7 misses are frames 83–86
 *   of live_head_motion.mp4, where fr_pose jumps to −28…−48° while the head turns the other way (seen by eye).
 *   pitch 3.8° (fr_pose's pitch range here is about −40…+25°); roll 2.3°.
 * Roll's scale was fitted on rotated copies of the identity photos (±10°, ±20°): fr_pose's roll changes by
 * 0.99× the rotation, the estimate follows it within 0.7° MAE (worst 2.5°).
 */
import type { Point, Pose } from '../../shared/engine';

/** Degrees of fr_pose yaw per unit of PoseFeatures.noseInContour, and fr_pose's yaw at a centred nose. */
const YAW_PER_NOSE_OFFSET = -39.21;
const YAW_OFFSET = 0.82;
/** Degrees of fr_pose pitch per unit of PoseFeatures.noseHeight, and the intercept. */
const PITCH_PER_NOSE_HEIGHT = -107.06;
const PITCH_OFFSET = 20.63;
/** fr_pose roll per degree of eye-line angle, and its roll for a level eye line. */
const ROLL_PER_EYE_LINE = 0.991;
const ROLL_OFFSET = -2.14;
/** fr_pose's output range (66 bins of 3° from −99°): the estimate stands in for it, so it stays inside. */
const MIN_ANGLE = -99;
const MAX_ANGLE = 96;

export interface PoseFeatures {
  /** Angle of the line from the image-left to the image-right eye centre, degrees (y down: clockwise > 0). */
  eyeLine: number;
  /** Nose tip between the cheek-level points of the jaw contour, −1 (at the image-left one) … +1 (image-right). */
  noseInContour: number;
  /** How far the nose tip sits below the eye line, as a fraction of the face height (brows to chin). */
  noseHeight: number;
}

const mean = (lm: readonly Point[], idx: readonly number[]): Point => {
  let x = 0, y = 0;
  for (const i of idx) {
    x += lm[i]![0];
    y += lm[i]![1];
  }
  return [x / idx.length, y / idx.length];
};

/** Signed position of `v` in [lo, hi] mapped to −1 … +1 (0 = midway). */
const between = (v: number, lo: number, hi: number) => (hi - lo !== 0 ? (2 * v - lo - hi) / (hi - lo) : 0);

/** The roll-free ratios the estimate is built from (exported for the fit script and the tests). */
export function poseFeatures(lm: readonly Point[]): PoseFeatures {
  const le = mean(lm, [36, 37, 38, 39, 40, 41]);
  const re = mean(lm, [42, 43, 44, 45, 46, 47]);
  const angle = Math.atan2(re[1] - le[1], re[0] - le[0]);
  // undo the roll about the eye midpoint so yaw and pitch ratios are measured along the face's own axes
  const cx = (le[0] + re[0]) / 2, cy = (le[1] + re[1]) / 2;
  const cos = Math.cos(-angle), sin = Math.sin(-angle);
  const at = (i: number): Point => {
    const p = lm[i]!;
    return [cx + (p[0] - cx) * cos - (p[1] - cy) * sin, cy + (p[0] - cx) * sin + (p[1] - cy) * cos];
  };
  const nose = at(30);
  // cheek level (contour points 2–3 / 13–14): steadier than the ear-level ends, which the hair often hides
  const contourL = (at(2)[0] + at(3)[0]) / 2;
  const contourR = (at(13)[0] + at(14)[0]) / 2;
  let browY = 0;
  for (let i = 17; i <= 26; i++) browY += at(i)[1] / 10;
  const faceHeight = at(8)[1] - browY;
  return {
    eyeLine: (angle * 180) / Math.PI,
    noseInContour: between(nose[0], contourL, contourR),
    noseHeight: faceHeight !== 0 ? (nose[1] - cy) / faceHeight : 0,
  };
}

const clampAngle = (v: number) => Math.min(MAX_ANGLE, Math.max(MIN_ANGLE, v));

/** Yaw/pitch/roll in degrees, in fr_pose's conventions, from 68 iBUG landmarks in image pixels. */
export function estimatePose(lm: readonly Point[]): Pose {
  const f = poseFeatures(lm);
  return {
    yaw: clampAngle(YAW_PER_NOSE_OFFSET * f.noseInContour + YAW_OFFSET),
    pitch: clampAngle(PITCH_PER_NOSE_HEIGHT * f.noseHeight + PITCH_OFFSET),
    roll: clampAngle(ROLL_PER_EYE_LINE * f.eyeLine + ROLL_OFFSET),
  };
}
