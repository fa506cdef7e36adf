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
 * Fit: scripts/fit-landmark-pose.ts, on testdata that tests/unit/engine/landmark-pose.test.ts does NOT check:
 * 788 faces in 135 groups (every frame of the two source videos except ±1 s around the test frame
 * faces/pose/lp-d12_f0167 = frame 167 of live_head_motion.mp4; 10 eye-state frames of LivePortrait d0/d9/d13;
 * 8 upright spoof photos; 9 document photos; the 396 photos of faces/identities-east-asian), each group
 * weighted equally, weighted least squares per ratio. Roll's scale from 1584 copies of the east-asian photos
 * rotated ±10°/±20° (change of fr_pose roll against change of the eye line); its offset from the originals.
 * Leave-one-group-out cross-validation on that fit set (group = one person, one LivePortrait video's frames,
 * one second of one video, one spoof source, one document), MAE against fr_pose (itself not ground truth):
 *   yaw 8.8° (east-asian 6.5°, video 11.5°); by |fr_pose yaw|: 0–10° 7.6°, 10–20° 9.7°, 20–30° 9.3°,
 *   30–45° 18.9°, 45–90° 43° (6 faces): the estimate saturates near ±40° (a profile's far contour is hidden,
 *   the 64×64 landmark model guesses it), so it is a "turned / not turned and which way" signal, not a
 *   profile angle. Same sign as fr_pose for 66/73 faces with |yaw| > 20°; 4 of the 7 misses are frames 83–86
 *   of live_head_motion.mp4, where fr_pose jumps to −28…−48° while the head turns the other way (seen by eye).
 *   pitch 3.6° (fr_pose's pitch range here is about −40…+25°); roll 2.1°. On the rotated copies fr_pose's roll
 *   changes by 0.92× the rotation (the eye line by 1.00×; on faces/identities fr_pose gives 0.99–1.0×), and
 *   the estimate follows the rotation within 1.4° MAE (95th percentile 3.2°, worst 6.1°).
 * Held out (never fitted): the test's 26 photos of faces/pose + faces/identities: yaw 10.1° (identities 6.4°,
 * the 6 pose frames 22.6°), pitch 5.0°, roll 2.8°; same yaw sign on 6/6 with |fr_pose yaw| > 20°; a ±15°
 * rotation of barack_obama/01 changes the estimated roll by −14.0°/+13.3° (fr_pose −15.3°/+14.7°).
 */
import type { Point, Pose } from '../../shared/engine';

/** Degrees of fr_pose yaw per unit of PoseFeatures.noseInContour, and fr_pose's yaw at a centred nose. */
const YAW_PER_NOSE_OFFSET = -35.24;
const YAW_OFFSET = -0.15;
/** Degrees of fr_pose pitch per unit of PoseFeatures.noseHeight, and the intercept. */
const PITCH_PER_NOSE_HEIGHT = -116.17;
const PITCH_OFFSET = 22.93;
/** fr_pose roll per degree of eye-line angle, and its roll for a level eye line. */
export const ROLL_PER_EYE_LINE = 0.915;
const ROLL_OFFSET = -2.11;
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
