/**
 * `npm run bench:accuracy [-- --json]`: accuracy of the engine on ../shared/testdata (DESIGN.md §10).
 *  - face match on faces/pairs.csv: ROC AUC, best accuracy + threshold, TAR at FAR 1 % (if enough negatives),
 *    bands at the calibrated thresholds, failures per image;
 *  - eye state on faces/open-eyes vs faces/closed-eyes;
 *  - passive liveness APCER/BPCER on spoof/ (at a live-probability cut of 0.5);
 *  - yaw sign and magnitude on faces/pose/labels.csv.
 * The still-image pipeline runs in-process (the same code as the engine process) with 2 intra-op threads.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { parseCsv } from '../src/main/engine/csv';
import { band, loadCalibration } from '../src/main/engine/calibration';
import { DEFAULT_CONFIG } from '../src/main/engine/config';
import { cosine } from '../src/main/engine/cosine';
import { decodeImage } from '../src/main/engine/decode';
import { ENGINE_MODELS, defaultModelsDir, loadManifest } from '../src/main/engine/manifest';
import { embed } from '../src/main/engine/models/embedder';
import { createSessions } from '../src/main/engine/models/sessions';
import { analyzeStill } from '../src/main/engine/still';

const json = process.argv.includes('--json');
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const testdata = resolve(repo, '../shared/testdata');
const log = (line: string) => {
  if (!json) console.log(line);
};

export function rocAuc(genuine: number[], impostor: number[]): number {
  let wins = 0;
  for (const g of genuine) for (const i of impostor) wins += g > i ? 1 : g === i ? 0.5 : 0;
  return wins / (genuine.length * impostor.length);
}

async function main(): Promise<void> {
  if (!existsSync(testdata)) throw new Error(`test data not found at ${testdata}`);
  const modelsDir = defaultModelsDir();
  const sessions = await createSessions({ modelsDir, models: ENGINE_MODELS, intraOpThreads: 2 });
  const cal = loadCalibration(modelsDir, loadManifest(modelsDir).models.fr_feature!.sha256);
  const still = async (path: string, rotate = 0) => {
    let bytes: Uint8Array = readFileSync(path);
    if (rotate) bytes = await sharp(bytes).rotate(rotate).jpeg({ quality: 95 }).toBuffer();
    return analyzeStill(sessions.run, await decodeImage(bytes, DEFAULT_CONFIG), DEFAULT_CONFIG, (aligned) => embed(sessions.run, aligned));
  };

  // --- face match
  const pairsFile = join(testdata, 'faces/pairs.csv');
  const rows = parseCsv(readFileSync(pairsFile, 'utf8'));
  const embeddings = new Map<string, Float32Array | null>();
  for (const row of rows)
    for (const p of [row.a!, row.b!])
      if (!embeddings.has(p)) embeddings.set(p, (await still(join(testdata, 'faces', p))).embeddingF32);
  const failures = [...embeddings].filter(([, e]) => !e).map(([p]) => p);
  const genuine: number[] = [];
  const impostor: number[] = [];
  const bands = { genuine: { match: 0, review: 0, mismatch: 0 }, impostor: { match: 0, review: 0, mismatch: 0 } };
  for (const row of rows) {
    const a = embeddings.get(row.a!);
    const b = embeddings.get(row.b!);
    if (!a || !b) continue;
    const s = cosine(a, b);
    const same = row.same === '1';
    (same ? genuine : impostor).push(s);
    bands[same ? 'genuine' : 'impostor'][band(s, cal)]++;
  }
  const auc = rocAuc(genuine, impostor);
  const candidates = [...genuine, ...impostor].sort((x, y) => x - y);
  let bestAcc = 0;
  let bestT = 0;
  for (let k = 0; k < candidates.length; k++) {
    const t = k === 0 ? candidates[0]! - 1e-6 : (candidates[k - 1]! + candidates[k]!) / 2;
    const acc = (genuine.filter((g) => g >= t).length + impostor.filter((i) => i < t).length) / (genuine.length + impostor.length);
    if (acc > bestAcc) {
      bestAcc = acc;
      bestT = t;
    }
  }
  const enoughForFar1 = impostor.length >= 100;
  let tarAtFar1: number | null = null;
  if (enoughForFar1) {
    const sortedImp = [...impostor].sort((x, y) => y - x);
    const t = sortedImp[Math.floor(0.01 * sortedImp.length)]! + 1e-9;
    tarAtFar1 = genuine.filter((g) => g >= t).length / genuine.length;
  }
  log(`face match (faces/pairs.csv): ${genuine.length} genuine / ${impostor.length} impostor pairs, ${embeddings.size} images, ${failures.length} without a face${failures.length ? ` (${failures.join(', ')})` : ''}`);
  log(`  genuine  min ${Math.min(...genuine).toFixed(3)}  impostor max ${Math.max(...impostor).toFixed(3)}`);
  log(`  ROC AUC ${auc.toFixed(4)}; best accuracy ${(bestAcc * 100).toFixed(1)} % at threshold ${bestT.toFixed(3)}`);
  log(
    enoughForFar1
      ? `  TAR at FAR 1 %: ${(tarAtFar1! * 100).toFixed(1)} %`
      : `  TAR at FAR 1 %: not reported — only ${impostor.length} impostor pairs (need ≥ 100 for a 1 % FAR operating point)`,
  );
  log(`  calibrated bands (match ≥ ${cal.matchThreshold}, mismatch < ${cal.mismatchThreshold}):`);
  log(`    genuine  → match ${bands.genuine.match}, review ${bands.genuine.review}, mismatch ${bands.genuine.mismatch}`);
  log(`    impostor → match ${bands.impostor.match}, review ${bands.impostor.review}, mismatch ${bands.impostor.mismatch}`);
  log(`  NOTE: pairs.csv is a subset of the calibration pairs (see docs/engine.md); the LOIO-CV estimates in models/calibration.json are the less biased figures.`);

  // --- eye state
  const eyeResults: Array<{ file: string; label: 'open' | 'closed'; predicted: string }> = [];
  for (const label of ['open', 'closed'] as const) {
    const dir = join(testdata, `faces/${label}-eyes`);
    for (const f of readdirSync(dir).sort()) {
      const r = await still(join(dir, f));
      const face = r.faces[r.best];
      eyeResults.push({ file: f, label, predicted: face?.eyes ? (face.eyes.open ? 'open' : 'closed') : 'no_face' });
    }
  }
  const eyeCorrect = eyeResults.filter((e) => e.label === e.predicted).length;
  log(`eye state (faces/open-eyes, faces/closed-eyes): ${eyeCorrect}/${eyeResults.length} correct = ${((eyeCorrect / eyeResults.length) * 100).toFixed(1)} %`);
  for (const e of eyeResults.filter((x) => x.label !== x.predicted)) log(`  wrong: ${e.label}-eyes/${e.file} → ${e.predicted}`);

  // --- liveness
  const spoofRows = parseCsv(readFileSync(join(testdata, 'spoof/labels.csv'), 'utf8'));
  const live: Array<{ file: string; label: string; attack: string; score: number | null }> = [];
  for (const row of spoofRows) {
    const r = await still(join(testdata, 'spoof', row.file!), Number(row.stored_rotation_deg) || 0);
    live.push({ file: row.file!, label: row.label!, attack: row.attack_type!, score: r.faces[r.best]?.liveness ?? null });
  }
  const cut = 0.5;
  const attacks = live.filter((l) => l.label === 'fake');
  const bona = live.filter((l) => l.label === 'real');
  const apcerN = attacks.filter((l) => l.score !== null && l.score >= cut).length;
  const bpcerN = bona.filter((l) => l.score === null || l.score < cut).length;
  log(`passive liveness (spoof/, live if p(live) ≥ ${cut}): APCER ${apcerN}/${attacks.length} = ${((apcerN / attacks.length) * 100).toFixed(1)} %, BPCER ${bpcerN}/${bona.length} = ${((bpcerN / bona.length) * 100).toFixed(1)} %`);
  for (const l of live) log(`  ${l.label.padEnd(4)} ${l.attack.padEnd(13)} ${l.file.padEnd(36)} p(live) ${l.score === null ? 'no face' : l.score.toFixed(3)}`);

  // --- pose
  const poseRows = parseCsv(readFileSync(join(testdata, 'faces/pose/labels.csv'), 'utf8'));
  const poses: Array<{ file: string; pose: string; yaw: number | null; ok: boolean; note: string }> = [];
  for (const row of poseRows) {
    const r = await still(join(testdata, 'faces/pose', row.file!));
    // the labelled person: the largest face (ham_t8.40s has several people; its label is about Obama)
    const face = r.faces[r.best];
    const yaw = face?.pose?.yaw ?? null;
    const cls = row.pose ?? '';
    const minYaw = cls.startsWith('profile') ? 45 : cls.startsWith('three-quarter') ? 20 : 0;
    let ok = yaw !== null && Math.abs(yaw) >= minYaw;
    const rightFacing = /right-facing/.test(row.note ?? '');
    if (rightFacing && yaw !== null) ok = ok && yaw > 0;
    poses.push({ file: row.file!, pose: cls, yaw, ok, note: rightFacing ? 'sign: right-facing ⇒ yaw > 0' : '' });
  }
  const poseOk = poses.filter((p) => p.ok).length;
  log(`head pose (faces/pose): ${poseOk}/${poses.length} with |yaw| in the labelled class (profile ≥ 45°, three-quarter ≥ 20°) and the labelled sign`);
  for (const p of poses) log(`  ${p.ok ? 'ok ' : 'BAD'} ${p.file.padEnd(20)} ${p.pose.padEnd(22)} yaw ${p.yaw === null ? 'no face' : p.yaw.toFixed(1)} ${p.note}`);
  await sessions.release();

  if (json) {
    console.log(
      JSON.stringify({
        faceMatch: {
          genuinePairs: genuine.length,
          impostorPairs: impostor.length,
          rocAuc: auc,
          bestAccuracy: bestAcc,
          bestThreshold: bestT,
          tarAtFar1,
          tarAtFar1Note: enoughForFar1 ? null : `only ${impostor.length} impostor pairs`,
          bands,
          failures,
          calibration: { match: cal.matchThreshold, mismatch: cal.mismatchThreshold },
        },
        eyeState: { correct: eyeCorrect, total: eyeResults.length, accuracy: eyeCorrect / eyeResults.length },
        liveness: { cut, apcer: apcerN / attacks.length, bpcer: bpcerN / bona.length, attacks: attacks.length, bonaFide: bona.length, samples: live },
        pose: { correct: poseOk, total: poses.length, samples: poses },
        provider: sessions.provider,
      }),
    );
  }
}

await main();
