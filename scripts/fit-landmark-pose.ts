/**
 * Fits the constants of src/main/engine/landmark-pose.ts against the fr_pose network on real images and
 * cross-validates them. Prints the constants and the errors; writes nothing into the repository
 * (`--cache FILE` keeps the measured landmarks and fr_pose angles outside it, to re-run the fit quickly).
 *
 * Images (../shared/testdata, read in place, never copied): faces/pose (6 turned heads), faces/identities
 * (20 photos, plus copies rotated ±10°/±20° for the roll scale), every frame of faces/video/*.y4m, the frames
 * of the two source .mp4s outside their y4m windows (through ffmpeg; skipped without it), and
 * faces/identities-east-asian (396 decodable photos of 108 other people, other cameras; the only set with a
 * wide pitch range). Each group (below) weighs the same in the fit, so a long video does not outvote photos.
 *
 * Cross-validation: leave-one-group-out, where a group is one person (faces/identities, or one east-asian
 * identity), one pose frame, or one second of one video (neighbouring frames are near-duplicates and must
 * not sit on both sides of a split). Errors are MAE against fr_pose (the reference the estimate stands in for,
 * itself not ground truth).
 *
 * Usage: npx tsx scripts/fit-landmark-pose.ts [--cache /tmp/landmark-pose-samples.json]
 */
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import type { Point, Pose } from '../src/shared/engine';
import { DEFAULT_CONFIG } from '../src/main/engine/config';
import { decodeImage } from '../src/main/engine/decode';
import { primaryIndex } from '../src/main/engine/geometry';
import type { RawImage } from '../src/main/engine/image';
import { defaultModelsDir } from '../src/main/engine/manifest';
import { detect, detectStill } from '../src/main/engine/models/detector';
import { landmarks } from '../src/main/engine/models/landmarks';
import { poseModel } from '../src/main/engine/models/pose-model';
import type { RunModel } from '../src/main/engine/models/run-model';
import { createSessions } from '../src/main/engine/models/sessions';
import { poseFeatures, type PoseFeatures } from '../src/main/engine/landmark-pose';
import { openVideo, readY4m } from '../src/main/engine/video';

interface Sample {
  source: string;
  group: string;
  /** faces/identities-east-asian (reported separately). */
  external: boolean;
  /** Degrees a copy of the photo was rotated by (clockwise, sharp) for the roll check; absent for originals. */
  rotated?: number;
  lm: Point[];
  net: Pose;
  faceHeight: number;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** Rotated copies of the identity photos: fr_pose's and the eye line's response to a known roll. */
const ROTATIONS = [-20, -10, 10, 20];
const testdata = resolve(defaultModelsDir(), '../../shared/testdata');

async function measure(run: RunModel, img: RawImage, still: boolean): Promise<{ lm: Point[]; net: Pose; faceHeight: number } | null> {
  const dets = still ? (await detectStill(run, img, DEFAULT_CONFIG)).detections : await detect(run, img, DEFAULT_CONFIG);
  if (dets.length === 0) return null;
  // stills: the labelled person is the largest face (as bench:accuracy); video: the primary face (as the engine)
  const i = still
    ? dets.reduce((best, d, k) => (d.box.width * d.box.height * d.score > dets[best]!.box.width * dets[best]!.box.height * dets[best]!.score ? k : best), 0)
    : primaryIndex(
        dets.map((d) => d.box),
        img.width,
        img.height,
      );
  const box = dets[i]!.box;
  return { lm: await landmarks(run, img, box), net: await poseModel(run, img, box), faceHeight: box.height };
}

async function gather(): Promise<Sample[]> {
  const sessions = await createSessions({ modelsDir: defaultModelsDir(), models: ['fr_detect', 'fr_landmark', 'fr_pose'], intraOpThreads: 2 });
  const samples: Sample[] = [];
  const still = async (path: string, source: string, group: string, external: boolean, rotated?: number) => {
    let img: RawImage;
    try {
      const bytes = readFileSync(path);
      img = await decodeImage(rotated ? await sharp(bytes).rotate(rotated, { background: '#808080' }).jpeg({ quality: 95 }).toBuffer() : bytes, DEFAULT_CONFIG);
    } catch (error) {
      console.warn(`skipping ${source}: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    const m = await measure(sessions.run, img, true);
    if (m) samples.push({ source, group, external, ...(rotated ? { rotated } : {}), ...m });
    else console.warn(`no face: ${source}`);
  };
  for (const f of readdirSync(join(testdata, 'faces/pose')).filter((f) => f.endsWith('.jpg')).sort()) await still(join(testdata, 'faces/pose', f), `pose/${f}`, `pose/${f}`, false);
  const ids = join(testdata, 'faces/identities');
  for (const person of readdirSync(ids).sort())
    for (const f of readdirSync(join(ids, person)).sort()) {
      await still(join(ids, person, f), `identities/${person}/${f}`, `person/${person}`, false);
      for (const angle of ROTATIONS) await still(join(ids, person, f), `identities/${person}/${f}@${angle}°`, `person/${person}`, false, angle);
    }

  // y4m windows of the source clips (MANIFEST.md), to leave them out of the mp4 pass
  const windows: Record<string, [number, number, string]> = {
    'live_blink_talk.mp4': [2.33, 4.33, 'live_blink_talk_640x480.y4m'],
    'live_head_motion.mp4': [1.0, 2.0, 'live_head_motion_640x480.y4m'],
  };
  const video = async (file: string, keep: (t: number) => boolean, groupOf: (t: number) => string, every = 1) => {
    const { stream, close } = openVideo(join(testdata, 'faces/video', file), 640);
    try {
      for await (const frame of readY4m(stream)) {
        if (frame.index % every !== 0 || !keep(frame.time)) continue;
        const m = await measure(sessions.run, { width: frame.width, height: frame.height, channels: 4, data: frame.rgba }, false);
        if (m) samples.push({ source: `video/${file}#${frame.index}`, group: groupOf(frame.time), external: false, ...m });
      }
    } finally {
      close();
    }
  };
  for (const [mp4, [t0, t1, y4m]] of Object.entries(windows)) {
    await video(y4m, () => true, (t) => `${mp4}@${Math.floor(t0 + t)}s`);
    try {
      await video(mp4, (t) => t < t0 || t >= t1, (t) => `${mp4}@${Math.floor(t)}s`);
    } catch (error) {
      console.warn(`skipping ${mp4}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  // a static photo: one frame is all it has to say
  await video('still-photo-attack.y4m', (t) => t === 0, () => 'still-photo-attack');

  const ea = join(testdata, 'faces/identities-east-asian');
  if (existsSync(ea))
    for (const set of readdirSync(ea).filter((d) => statSync(join(ea, d)).isDirectory()).sort())
      for (const id of readdirSync(join(ea, set)).sort())
        for (const f of readdirSync(join(ea, set, id)).sort()) await still(join(ea, set, id, f), `east-asian/${set}/${id}/${f}`, `ea/${set}/${id}`, true);
  await sessions.release();
  return samples;
}

/** Weighted least squares y ≈ a·x + b (closed form). */
function fitLine(x: readonly number[], y: readonly number[], w: readonly number[]): { slope: number; offset: number } {
  let sw = 0, sx = 0, sy = 0;
  for (let i = 0; i < x.length; i++) {
    sw += w[i]!;
    sx += w[i]! * x[i]!;
    sy += w[i]! * y[i]!;
  }
  const mx = sx / sw, my = sy / sw;
  let sxy = 0, sxx = 0;
  for (let i = 0; i < x.length; i++) {
    sxy += w[i]! * (x[i]! - mx) * (y[i]! - my);
    sxx += w[i]! * (x[i]! - mx) ** 2;
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  return { slope, offset: my - slope * mx };
}

interface Constants {
  yaw: { slope: number; offset: number };
  pitch: { slope: number; offset: number };
  roll: { slope: number; offset: number };
}

interface Row {
  s: Sample;
  f: PoseFeatures;
}

/**
 * Yaw and pitch: least squares of fr_pose's angle on one ratio over the original photos/frames, each group
 * weighted equally (a long video must not outvote twenty photos of six people). Roll: the scale from the
 * rotated copies (change of fr_pose roll against change of the eye line: a known rotation, so the
 * cross-image scatter of roll does not flatten the slope), the offset from the originals.
 */
function fit(rows: readonly Row[]): Constants {
  const orig = rows.filter((r) => r.s.rotated === undefined);
  const size = new Map<string, number>();
  for (const r of orig) size.set(r.s.group, (size.get(r.s.group) ?? 0) + 1);
  const w = orig.map((r) => 1 / size.get(r.s.group)!);
  const yaw = fitLine(orig.map((r) => r.f.noseInContour), orig.map((r) => r.s.net.yaw), w);
  const pitch = fitLine(orig.map((r) => r.f.noseHeight), orig.map((r) => r.s.net.pitch), w);
  const base = new Map(orig.map((r) => [r.s.source, r]));
  let sxy = 0, sxx = 0;
  for (const r of rows) {
    if (r.s.rotated === undefined) continue;
    const b = base.get(r.s.source.split('@')[0]!);
    if (!b) continue;
    const dx = r.f.eyeLine - b.f.eyeLine;
    sxy += dx * (r.s.net.roll - b.s.net.roll);
    sxx += dx * dx;
  }
  const rollSlope = sxx > 0 ? sxy / sxx : 1;
  let sw = 0, so = 0;
  orig.forEach((r, i) => {
    sw += w[i]!;
    so += w[i]! * (r.s.net.roll - rollSlope * r.f.eyeLine);
  });
  return { yaw, pitch, roll: { slope: rollSlope, offset: so / sw } };
}

function apply(c: Constants, f: PoseFeatures): Pose {
  return {
    yaw: c.yaw.slope * f.noseInContour + c.yaw.offset,
    pitch: c.pitch.slope * f.noseHeight + c.pitch.offset,
    roll: c.roll.slope * f.eyeLine + c.roll.offset,
  };
}

const mae = (v: readonly number[]) => (v.length ? v.reduce((a, b) => a + Math.abs(b), 0) / v.length : NaN);
const fmt = (v: number, d = 2) => (Number.isFinite(v) ? v.toFixed(d) : '—');

async function main(): Promise<void> {
  const cache = arg('--cache');
  let samples: Sample[];
  if (cache && existsSync(cache)) samples = JSON.parse(readFileSync(cache, 'utf8')) as Sample[];
  else {
    samples = await gather();
    if (cache) writeFileSync(cache, JSON.stringify(samples));
  }
  const rows: Row[] = samples.map((s) => ({ s, f: poseFeatures(s.lm) }));
  const groups = [...new Set(rows.map((r) => r.s.group))];

  // leave-one-group-out: every prediction comes from constants fitted without its group
  const held = new Map<Row, Pose>();
  for (const g of groups) {
    const c = fit(rows.filter((r) => r.s.group !== g));
    for (const r of rows) if (r.s.group === g) held.set(r, apply(c, r.f));
  }
  const final = fit(rows);
  const orig = rows.filter((r) => r.s.rotated === undefined);
  const subsets: Array<[string, (r: Row) => boolean]> = [
    ['pose frames', (r) => r.s.source.startsWith('pose/')],
    ['identities', (r) => r.s.source.startsWith('identities/')],
    ['video frames', (r) => r.s.source.startsWith('video/')],
    ['east-asian', (r) => r.s.external],
    ['all', () => true],
  ];
  const err = (rs: Row[], k: keyof Pose) => rs.map((r) => held.get(r)![k] - r.s.net[k]);
  console.log(`${orig.length} faces (${groups.length} groups) + ${rows.length - orig.length} rotated copies; leave-one-group-out CV, MAE against fr_pose in degrees:`);
  console.log(`  ${'subset'.padEnd(14)} ${'n'.padStart(4)}  ${'yaw'.padStart(6)} ${'pitch'.padStart(6)} ${'roll'.padStart(6)}`);
  for (const [name, pick] of subsets) {
    const rs = orig.filter(pick);
    console.log(`  ${name.padEnd(14)} ${String(rs.length).padStart(4)}  ${fmt(mae(err(rs, 'yaw'))).padStart(6)} ${fmt(mae(err(rs, 'pitch'))).padStart(6)} ${fmt(mae(err(rs, 'roll'))).padStart(6)}`);
  }
  console.log('  yaw by |fr_pose yaw|:');
  for (const [lo, hi] of [[0, 10], [10, 20], [20, 30], [30, 45], [45, 90]] as const) {
    const rs = orig.filter((r) => Math.abs(r.s.net.yaw) >= lo && Math.abs(r.s.net.yaw) < hi);
    const agree = rs.filter((r) => Math.sign(held.get(r)!.yaw) === Math.sign(r.s.net.yaw)).length;
    console.log(`    ${`${lo}–${hi}°`.padEnd(7)} n=${String(rs.length).padStart(3)}  MAE ${fmt(mae(err(rs, 'yaw'))).padStart(6)}  same sign ${agree}/${rs.length}`);
  }
  const turned = orig.filter((r) => Math.abs(r.s.net.yaw) > 20 && /^(pose|identities)\//.test(r.s.source));
  console.log(`  pose frames + identities with |fr_pose yaw| > 20°: ${turned.filter((r) => Math.sign(held.get(r)!.yaw) === Math.sign(r.s.net.yaw)).length}/${turned.length} same sign`);
  const base = new Map(orig.map((r) => [r.s.source, r]));
  const rollDelta = rows
    .filter((r) => r.s.rotated !== undefined && base.has(r.s.source.split('@')[0]!))
    .map((r) => held.get(r)!.roll - held.get(base.get(r.s.source.split('@')[0]!)!)!.roll - r.s.rotated!);
  console.log(`  rotated copies (±10°, ±20°): change of the estimated roll − rotation angle, MAE ${fmt(mae(rollDelta))}°, worst ${fmt(Math.max(...rollDelta.map(Math.abs)))}°`);
  console.log('constants (landmark-pose.ts):');
  console.log(`  YAW_PER_NOSE_OFFSET = ${fmt(final.yaw.slope, 2)}; YAW_OFFSET = ${fmt(final.yaw.offset, 2)};`);
  console.log(`  PITCH_PER_NOSE_HEIGHT = ${fmt(final.pitch.slope, 2)}; PITCH_OFFSET = ${fmt(final.pitch.offset, 2)};`);
  console.log(`  ROLL_PER_EYE_LINE = ${fmt(final.roll.slope, 3)}; ROLL_OFFSET = ${fmt(final.roll.offset, 2)};`);
}

await main();
