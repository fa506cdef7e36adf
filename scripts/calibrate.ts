/**
 * Derives the face-match thresholds and writes models/calibration.json (tied to fr_feature's sha256).
 *
 * Labelled data: every photo under <identities>/<person>/ (default ../shared/testdata/faces/identities);
 * ALL pairs between them are scored (same folder = genuine, different = impostor).
 *
 * Thresholds (see deriveThresholds): match = lowest score with ≤ target FMR of impostors at or above it;
 * mismatch = highest score with ≤ target FNMR of genuine pairs below it. The FMR/FNMR written beside them
 * are leave-one-identity-out cross-validated: for each person, thresholds are derived without any pair
 * involving that person and applied to that person's pairs; the errors are pooled over the folds.
 *
 * Usage: npx tsx scripts/calibrate.ts [--identities DIR] [--target-fmr 0.01] [--target-fnmr 0.05] [--out models/calibration.json]
 */
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CalibrationSchema, deriveThresholds, rates, upperBound95, type Calibration } from '../src/main/engine/calibration';
import { decodeImage } from '../src/main/engine/decode';
import { DEFAULT_CONFIG } from '../src/main/engine/config';
import { cosine } from '../src/main/engine/cosine';
import { ENGINE_MODELS, defaultModelsDir, loadManifest } from '../src/main/engine/manifest';
import { embed } from '../src/main/engine/models/embedder';
import { createSessions } from '../src/main/engine/models/sessions';
import { analyzeStill } from '../src/main/engine/still';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

interface Sample {
  person: string;
  file: string;
  embedding: Float32Array;
}
interface Pair {
  a: Sample;
  b: Sample;
  same: boolean;
  score: number;
}

async function main(): Promise<void> {
  const modelsDir = defaultModelsDir();
  const identities = resolve(arg('--identities', resolve(modelsDir, '../../shared/testdata/faces/identities')));
  const targetFmr = Number(arg('--target-fmr', '0.01'));
  const targetFnmr = Number(arg('--target-fnmr', '0.05'));
  const out = resolve(arg('--out', join(modelsDir, 'calibration.json')));
  const manifest = loadManifest(modelsDir);
  const sessions = await createSessions({ modelsDir, models: ENGINE_MODELS, intraOpThreads: 2 });

  const samples: Sample[] = [];
  const skipped: string[] = [];
  for (const person of readdirSync(identities).sort()) {
    const dir = join(identities, person);
    if (!statSync(dir).isDirectory()) continue;
    for (const file of readdirSync(dir).sort()) {
      const img = await decodeImage(readFileSync(join(dir, file)), DEFAULT_CONFIG);
      const r = await analyzeStill(sessions.run, img, DEFAULT_CONFIG, (aligned) => embed(sessions.run, aligned));
      if (r.embeddingF32) samples.push({ person, file: `${person}/${file}`, embedding: r.embeddingF32 });
      else skipped.push(`${person}/${file}`);
    }
  }
  await sessions.release();
  const pairs: Pair[] = [];
  for (let i = 0; i < samples.length; i++)
    for (let j = i + 1; j < samples.length; j++) {
      const a = samples[i]!;
      const b = samples[j]!;
      pairs.push({ a, b, same: a.person === b.person, score: cosine(a.embedding, b.embedding) });
    }
  const scores = (ps: Pair[], same: boolean) => ps.filter((p) => p.same === same).map((p) => p.score);
  const people = [...new Set(samples.map((s) => s.person))];

  // leave-one-identity-out
  const folds: Array<Record<string, unknown>> = [];
  let fm = 0, imp = 0, fnm = 0, gen = 0, genRev = 0, impRev = 0;
  for (const person of people) {
    const involves = (p: Pair) => p.a.person === person || p.b.person === person;
    const train = pairs.filter((p) => !involves(p));
    const test = pairs.filter(involves);
    const t = deriveThresholds(scores(train, true), scores(train, false), targetFmr, targetFnmr);
    const r = rates(scores(test, true), scores(test, false), t);
    fm += r.falseMatches;
    fnm += r.falseNonMatches;
    genRev += r.genuineReview;
    impRev += r.impostorReview;
    imp += scores(test, false).length;
    gen += scores(test, true).length;
    folds.push({ heldOut: person, match: round(t.match), mismatch: round(t.mismatch), ...r, genuine: scores(test, true).length, impostor: scores(test, false).length });
  }
  const final = deriveThresholds(scores(pairs, true), scores(pairs, false), targetFmr, targetFnmr);
  const calibration: Calibration = {
    model: 'fr_feature',
    modelSha256: manifest.models.fr_feature!.sha256,
    metric: 'cosine',
    matchThreshold: Math.ceil(final.match * 1e4) / 1e4,
    mismatchThreshold: Math.floor(final.mismatch * 1e4) / 1e4,
    estimatedFmrAtMatch: round(fm / Math.max(1, imp)),
    estimatedFnmrAtMismatch: round(fnm / Math.max(1, gen)),
    // impostor test pairs are counted in two folds each: the bound uses the distinct pairs
    upper95: { fmr: round(upperBound95(fm / 2, imp / 2)), fnmr: round(upperBound95(fnm, gen)) },
    estimatedReviewRate: { genuine: round(genRev / Math.max(1, gen)), impostor: round(impRev / Math.max(1, imp)) },
    targets: { fmr: targetFmr, fnmr: targetFnmr },
    counts: { identities: people.length, images: samples.length, genuine: scores(pairs, true).length, impostor: scores(pairs, false).length },
    method:
      `all ${pairs.length} pairs of ${samples.length} photos of ${people.length} people (faces/identities); thresholds from all pairs at target FMR ${targetFmr} / FNMR ${targetFnmr}; ` +
      `FMR/FNMR estimated by leave-one-identity-out cross-validation (pooled over ${people.length} folds: ${fm}/${imp} impostor, ${fnm}/${gen} genuine test pairs). ` +
      `Small sample: the estimates have wide uncertainty; faces/pairs.csv is a subset of these pairs, so bench:accuracy on it is not independent.`,
    createdAt: new Date().toISOString(),
    crossValidation: folds,
  };
  CalibrationSchema.parse(calibration);
  writeFileSync(out, `${JSON.stringify(calibration, null, 2)}\n`);
  const g = scores(pairs, true);
  const i = scores(pairs, false);
  console.log(`calibration: ${samples.length} images (${skipped.length} without a face${skipped.length ? `: ${skipped.join(', ')}` : ''}), ${g.length} genuine / ${i.length} impostor pairs`);
  console.log(`  genuine  min ${Math.min(...g).toFixed(3)}  median ${median(g).toFixed(3)}`);
  console.log(`  impostor max ${Math.max(...i).toFixed(3)}  median ${median(i).toFixed(3)}`);
  console.log(`  match ≥ ${calibration.matchThreshold}, mismatch < ${calibration.mismatchThreshold}`);
  console.log(`  LOIO-CV: FMR at match ${fm}/${imp} = ${calibration.estimatedFmrAtMatch}, FNMR at mismatch ${fnm}/${gen} = ${calibration.estimatedFnmrAtMismatch}`);
  console.log(`  95 % upper bounds: FMR ≤ ${calibration.upper95!.fmr}, FNMR ≤ ${calibration.upper95!.fnmr}`);
  console.log(`  wrote ${out}`);
}

const round = (v: number) => Math.round(v * 1e4) / 1e4;
const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
};

await main();
