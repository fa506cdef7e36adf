/**
 * Derives the face-match thresholds and writes models/calibration.json (tied to fr_feature's sha256).
 *
 * Labelled data: sets of identity folders, by default
 *   western    = ../shared/testdata/faces/identities/<person>/
 *   east-asian = ../shared/testdata/faces/identities-east-asian/<source>/<person>/  (asian-faces: colour; lfw-gray: LFW)
 * Every photo goes through the engine's still analysis (analyzeStill + fr_feature). Photos the engine refuses
 * (the two east-asian files that are a BMP and a GIF named .jpg) or without a face are listed and skipped.
 * Face choice: the still pipeline's best face, except in LFW folders (`lfw-*`), whose labelled person is the
 * one centred in the 250×250 crop by LFW's construction (many show several people): there the face nearest the
 * image centre. Genuine pairs of two photos that the set's sources.csv marks "same-event near-duplicate"
 * are left out (they would inflate the genuine scores); the photos count in every other pair.
 *
 * Pairs: ALL pairs of photos. Same identity = genuine; different identities in the same set = impostor;
 * western × east-asian pairs ("cross") are reported but not used to fit: an impostor of another
 * demographic is an easy one and would pull the match threshold down.
 *
 * Thresholds (deriveThresholds, unchanged rule): match = lowest score with ≤ target FMR (1 %) of impostor
 * pairs at or above it; mismatch = highest score with ≤ target FNMR (5 %) of genuine pairs below it; when
 * the classes are separated the two points are swapped (match needs a typical genuine score, the gap is
 * 'review'). The FMR/FNMR written beside them are leave-one-identity-out cross-validated: for each identity,
 * thresholds are re-derived without any pair involving it and applied to its pairs; every impostor pair is
 * therefore tested twice (once in each of its two identities' folds), every genuine pair once. The same
 * is done for "before": the old procedure (fitted on the western set alone) on the same pairs.
 *
 * Usage: npx tsx scripts/calibrate.ts [--set NAME=DIR]… [--identities DIR] [--target-fmr 0.01] [--target-fnmr 0.05]
 *        [--out models/calibration.json] [--no-write] [--cache FILE | --no-cache] [--json]
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import { CalibrationSchema, deriveThresholds, rates, upperBound95, type Calibration, type GroupRates } from '../src/main/engine/calibration';
import { cosine } from '../src/main/engine/cosine';
import { DEFAULT_CONFIG } from '../src/main/engine/config';
import { parseCsv } from '../src/main/engine/csv';
import { decodeImage } from '../src/main/engine/decode';
import { ENGINE_MODELS, defaultModelsDir, loadManifest, loadableModels } from '../src/main/engine/manifest';
import { alignedPatch, embed } from '../src/main/engine/models/embedder';
import { createSessions, type ModelSessions } from '../src/main/engine/models/sessions';
import { analyzeStill } from '../src/main/engine/still';

const argv = process.argv.slice(2);
function arg(name: string, fallback: string): string {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] ? argv[i + 1]! : fallback;
}
const json = argv.includes('--json');
const log = (line = '') => {
  if (!json) console.log(line);
};

interface Sample {
  set: string;
  /** e.g. lfw-gray within east-asian; '' for a flat set */
  subset: string;
  /** unique over all sets: set/subset/person */
  identity: string;
  file: string;
  embedding: Float32Array;
  nearDuplicate: boolean;
}
interface Pair {
  a: number;
  b: number;
  same: boolean;
  score: number;
  /** set of both photos, or 'cross' */
  group: string;
  /** set/subset when both photos are in the same subset */
  subgroup: string | null;
  /** within one set (the pairs the thresholds are fitted on) */
  within: boolean;
}
interface Thresholds {
  match: number;
  mismatch: number;
}

const IMAGE = /\.(jpe?g|png|webp)$/i;

/** Identity folders of a set: DIR/<person>/<photos> or DIR/<source>/<person>/<photos>. */
function listSet(set: string, dir: string): Array<{ subset: string; person: string; files: string[] }> {
  const out: Array<{ subset: string; person: string; files: string[] }> = [];
  for (const name of readdirSync(dir).sort()) {
    const sub = join(dir, name);
    if (!statSync(sub).isDirectory()) continue;
    const entries = readdirSync(sub).sort();
    const files = entries.filter((f) => IMAGE.test(f) && statSync(join(sub, f)).isFile());
    if (files.length) out.push({ subset: '', person: name, files: files.map((f) => join(sub, f)) });
    for (const inner of entries) {
      const personDir = join(sub, inner);
      if (!statSync(personDir).isDirectory()) continue;
      const photos = readdirSync(personDir).sort().filter((f) => IMAGE.test(f));
      if (photos.length) out.push({ subset: name, person: inner, files: photos.map((f) => join(personDir, f)) });
    }
  }
  if (!out.length) throw new Error(`no identity folders in ${dir} (set ${set})`);
  return out;
}

/** Files that the set's sources.csv (if any) marks as a same-event near-duplicate. */
function nearDuplicates(dir: string, testdataRoot: string): Set<string> {
  const csv = join(dir, 'sources.csv');
  if (!existsSync(csv)) return new Set();
  const rows = parseCsv(readFileSync(csv, 'utf8'));
  return new Set(rows.filter((r) => /near-duplicate/i.test(r.notes ?? '')).map((r) => resolve(testdataRoot, r.shared_path ?? '')));
}

type Cache = Record<string, { embedding: number[] | null; faces: number; reason?: string; centredNotBest?: boolean }>;

async function main(): Promise<void> {
  const modelsDir = defaultModelsDir();
  const testdata = resolve(modelsDir, '../../shared/testdata');
  const sets: Array<[string, string]> = [];
  argv.forEach((a, i) => {
    if (a === '--set' && argv[i + 1]) {
      const [name, dir] = argv[i + 1]!.split('=');
      if (!name || !dir) throw new Error('--set NAME=DIR');
      sets.push([name, resolve(dir)]);
    }
  });
  if (argv.includes('--identities')) sets.push(['identities', resolve(arg('--identities', ''))]);
  if (!sets.length) sets.push(['western', join(testdata, 'faces/identities')], ['east-asian', join(testdata, 'faces/identities-east-asian')]);
  const baselineSet = sets[0]![0];
  const targetFmr = Number(arg('--target-fmr', '0.01'));
  const targetFnmr = Number(arg('--target-fnmr', '0.05'));
  const out = resolve(arg('--out', join(modelsDir, 'calibration.json')));
  const manifest = loadManifest(modelsDir);
  const featureSha = manifest.models.fr_feature!.sha256;
  const cachePath = argv.includes('--no-cache') ? null : resolve(arg('--cache', join(tmpdir(), `veridesk-calibrate-${featureSha.slice(0, 12)}.json`)));
  const cache: Cache = cachePath && existsSync(cachePath) ? (JSON.parse(readFileSync(cachePath, 'utf8')) as Cache) : {};
  const loaded: { sessions?: ModelSessions } = {};
  const session = async () => (loaded.sessions ??= await createSessions({ modelsDir, models: loadableModels(modelsDir, ENGINE_MODELS, manifest), intraOpThreads: 2 }));

  const samples: Sample[] = [];
  const skipped: string[] = [];
  let centredDiffers = 0;
  const t0 = performance.now();
  for (const [set, dir] of sets) {
    const dups = nearDuplicates(dir, testdata);
    for (const { subset, person, files } of listSet(set, dir)) {
      const centred = subset.startsWith('lfw') || basename(dir).startsWith('lfw');
      for (const path of files) {
        const bytes = readFileSync(path);
        const key = `${createHash('sha256').update(bytes).digest('hex')}:${centred ? 'centre' : 'best'}`;
        let entry = cache[key];
        if (!entry) {
          try {
            const run = (await session()).run;
            const img = await decodeImage(bytes, DEFAULT_CONFIG);
            const r = await analyzeStill(run, img, DEFAULT_CONFIG, (aligned) => embed(run, aligned));
            let embedding = r.embeddingF32;
            let centredNotBest = false;
            if (centred && r.faces.length > 1) {
              const d = (i: number) => {
                const b = r.faces[i]!.box;
                return Math.hypot(b.x + b.width / 2 - img.width / 2, b.y + b.height / 2 - img.height / 2);
              };
              let pick = 0;
              for (let i = 1; i < r.faces.length; i++) if (d(i) < d(pick)) pick = i;
              if (pick !== r.best) {
                centredNotBest = true;
                embedding = await embed(run, alignedPatch(img, r.faces[pick]!.points5!));
              }
            }
            entry = { embedding: embedding ? Array.from(embedding) : null, faces: r.faces.length, centredNotBest, ...(embedding ? {} : { reason: 'no face' }) };
          } catch (error) {
            entry = { embedding: null, faces: 0, reason: error instanceof Error ? error.message : String(error) };
          }
          cache[key] = entry;
        }
        const file = relative(testdata, path);
        if (entry.centredNotBest) centredDiffers++;
        if (!entry.embedding) {
          skipped.push(`${file} (${entry.reason ?? 'no face'})`);
          continue;
        }
        samples.push({ set, subset, identity: `${set}/${subset ? `${subset}/` : ''}${person}`, file, embedding: Float32Array.from(entry.embedding), nearDuplicate: dups.has(path) });
      }
    }
  }
  await loaded.sessions?.release();
  if (cachePath) writeFileSync(cachePath, JSON.stringify(cache));
  const embedSeconds = (performance.now() - t0) / 1000;

  // --- pairs
  const pairs: Pair[] = [];
  let droppedDuplicates = 0;
  for (let i = 0; i < samples.length; i++)
    for (let j = i + 1; j < samples.length; j++) {
      const a = samples[i]!;
      const b = samples[j]!;
      const same = a.identity === b.identity;
      if (same && a.nearDuplicate && b.nearDuplicate) {
        droppedDuplicates++;
        continue;
      }
      const within = a.set === b.set;
      pairs.push({
        a: i,
        b: j,
        same,
        score: cosine(a.embedding, b.embedding),
        group: within ? a.set : 'cross',
        subgroup: within && a.subset && a.subset === b.subset ? `${a.set}/${a.subset}` : null,
        within,
      });
    }
  const identities = [...new Set(samples.map((s) => s.identity))];
  const split = (ps: readonly Pair[]) => {
    const g: number[] = [];
    const imp: number[] = [];
    for (const p of ps) (p.same ? g : imp).push(p.score);
    return { genuine: g, impostor: imp };
  };

  /** Leave-one-identity-out: per-group rates of the thresholds fitted on `fit` pairs without the held-out identity. */
  function crossValidate(fit: (p: Pair) => boolean) {
    const fitPairs = pairs.filter(fit);
    const fitIdentities = new Set(fitPairs.flatMap((p) => [samples[p.a]!.identity, samples[p.b]!.identity]));
    const fitAll = split(fitPairs);
    const full = deriveThresholds(fitAll.genuine, fitAll.impostor, targetFmr, targetFnmr);
    const acc = new Map<string, { genuine: number; impostor: number; falseMatches: number; falseNonMatches: number; genuineReview: number; impostorReview: number }>();
    const add = (key: string, same: boolean, score: number, t: Thresholds) => {
      const r = acc.get(key) ?? { genuine: 0, impostor: 0, falseMatches: 0, falseNonMatches: 0, genuineReview: 0, impostorReview: 0 };
      const review = score >= t.mismatch && score < t.match;
      if (same) {
        r.genuine++;
        if (score < t.mismatch) r.falseNonMatches++;
        if (review) r.genuineReview++;
      } else {
        r.impostor++;
        if (score >= t.match) r.falseMatches++;
        if (review) r.impostorReview++;
      }
      acc.set(key, r);
    };
    const folds: Array<Record<string, unknown>> = [];
    for (const id of identities) {
      const involves = (p: Pair) => samples[p.a]!.identity === id || samples[p.b]!.identity === id;
      const t = fitIdentities.has(id)
        ? (() => {
            const s = split(fitPairs.filter((p) => !involves(p)));
            return deriveThresholds(s.genuine, s.impostor, targetFmr, targetFnmr);
          })()
        : full;
      const test = pairs.filter(involves);
      for (const p of test) {
        add(p.group, p.same, p.score, t);
        if (p.subgroup) add(p.subgroup, p.same, p.score, t);
        if (p.within) add('overall', p.same, p.score, t);
      }
      const s = split(test);
      folds.push({ heldOut: id, match: round(t.match), mismatch: round(t.mismatch), ...rates(s.genuine, s.impostor, t), genuine: s.genuine.length, impostor: s.impostor.length });
    }
    const groups: Record<string, GroupRates> = {};
    for (const [key, r] of acc) {
      groups[key] = {
        ...r,
        fmr: round(r.falseMatches / Math.max(1, r.impostor)),
        fnmr: round(r.falseNonMatches / Math.max(1, r.genuine)),
        // impostor pairs are tested in two folds each: the bounds use the distinct pairs
        upper95: { fmr: round(upperBound95(r.falseMatches / 2, r.impostor / 2)), fnmr: r.genuine ? round(upperBound95(r.falseNonMatches, r.genuine)) : 1 },
        reviewRate: { genuine: round(r.genuineReview / Math.max(1, r.genuine)), impostor: round(r.impostorReview / Math.max(1, r.impostor)) },
      };
    }
    return { full, groups, folds, fitPairs: fitAll };
  }

  const before = crossValidate((p) => p.within && p.group === baselineSet);
  const after = crossValidate((p) => p.within);
  const fitted = after.fitPairs;
  const previous = existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as Partial<Calibration>) : null;
  const overall = after.groups.overall!;
  const groupNames = ['overall', ...sets.map(([s]) => s), ...[...new Set(pairs.map((p) => p.subgroup).filter((g): g is string => !!g))].sort(), 'cross'];
  const distinct = (g: string) => {
    const ps = pairs.filter((p) => (g === 'overall' ? p.within : p.group === g || p.subgroup === g));
    return { genuine: ps.filter((p) => p.same).length, impostor: ps.filter((p) => !p.same).length, identities: new Set(ps.flatMap((p) => [samples[p.a]!.identity, samples[p.b]!.identity])).size };
  };

  const calibration: Calibration = {
    model: 'fr_feature',
    modelSha256: featureSha,
    metric: 'cosine',
    matchThreshold: Math.ceil(after.full.match * 1e4) / 1e4,
    mismatchThreshold: Math.floor(after.full.mismatch * 1e4) / 1e4,
    estimatedFmrAtMatch: overall.fmr,
    estimatedFnmrAtMismatch: overall.fnmr,
    upper95: overall.upper95,
    estimatedReviewRate: overall.reviewRate,
    targets: { fmr: targetFmr, fnmr: targetFnmr },
    counts: { identities: new Set(pairs.filter((p) => p.within).flatMap((p) => [samples[p.a]!.identity, samples[p.b]!.identity])).size, images: samples.length, genuine: fitted.genuine.length, impostor: fitted.impostor.length },
    method:
      `sets ${sets.map(([s, d]) => `${s} (${relative(testdata, d)})`).join(' + ')}: ${samples.length} photos of ${identities.length} identities through the engine's still analysis ` +
      `(LFW folders: the face nearest the image centre); all ${pairs.length} pairs, of which the ${fitted.genuine.length} genuine / ${fitted.impostor.length} impostor pairs within a set fit the thresholds ` +
      `(target FMR ${targetFmr} at match / FNMR ${targetFnmr} at mismatch, swapped when the classes separate); ${droppedDuplicates} genuine pairs of marked near-duplicates left out; ` +
      `cross-set impostor pairs only tested. FMR/FNMR estimated by leave-one-identity-out cross-validation (${identities.length} folds; impostor pairs tested in both identities' folds): ` +
      `${overall.falseMatches}/${overall.impostor} impostor, ${overall.falseNonMatches}/${overall.genuine} genuine tests; per group in \`groups\`. ` +
      `faces/pairs.csv is a subset of these pairs, so bench:accuracy on it is not independent.`,
    createdAt: new Date().toISOString(),
    groups: after.groups,
    crossValidation: after.folds,
  };
  CalibrationSchema.parse(calibration);
  const write = !argv.includes('--no-write');
  if (write) writeFileSync(out, `${JSON.stringify(calibration, null, 2)}\n`);

  const g = fitted.genuine;
  const i = fitted.impostor;
  const pct = (v: number) => `${(v * 100).toFixed(2)} %`;
  const table = (label: string, groups: Record<string, GroupRates>, t: Thresholds) => {
    log(`${label}: match ≥ ${(Math.ceil(t.match * 1e4) / 1e4).toFixed(4)}, mismatch < ${(Math.floor(t.mismatch * 1e4) / 1e4).toFixed(4)} (from all fitted pairs; the rates are leave-one-identity-out CV)`);
    log('  group                    ids  genuine  impostor | FMR at match (tests)      | FNMR at mismatch   | review: genuine   impostor');
    for (const name of groupNames) {
      const r = groups[name];
      if (!r) continue;
      const d = distinct(name);
      log(
        `  ${name.padEnd(24)} ${String(d.identities).padStart(3)} ${String(d.genuine).padStart(8)} ${String(d.impostor).padStart(9)} | ` +
          `${`${r.falseMatches}/${r.impostor}`.padStart(13)} = ${pct(r.fmr).padStart(8)} | ${`${r.falseNonMatches}/${r.genuine}`.padStart(8)} = ${pct(r.fnmr).padStart(7)} | ` +
          `${`${r.genuineReview}/${r.genuine}`.padStart(8)} ${pct(r.reviewRate.genuine).padStart(7)}  ${`${r.impostorReview}/${r.impostor}`.padStart(12)} ${pct(r.reviewRate.impostor).padStart(7)}`,
      );
    }
  };
  log(`calibration: ${samples.length} photos of ${identities.length} identities embedded in ${embedSeconds.toFixed(0)} s${cachePath ? ` (cache ${cachePath})` : ''}; ${skipped.length} skipped${skipped.length ? `: ${skipped.join('; ')}` : ''}`);
  log(`  LFW photos with several faces where the centred one (used) is not the still pipeline's best face: ${centredDiffers}`);
  log(`  pairs: ${pairs.length} (${pairs.filter((p) => p.within).length} within a set, ${pairs.filter((p) => !p.within).length} cross-set impostor); ${droppedDuplicates} near-duplicate genuine pairs left out`);
  log(`  fitted: ${g.length} genuine (min ${Math.min(...g).toFixed(3)}, 5th pct ${quantile(g, 0.05).toFixed(3)}, median ${quantile(g, 0.5).toFixed(3)}), ` + `${i.length} impostor (median ${quantile(i, 0.5).toFixed(3)}, 99th pct ${quantile(i, 0.99).toFixed(3)}, max ${Math.max(...i).toFixed(3)})`);
  // the two raw points of the rule, before the swap (as in deriveThresholds)
  const fmrPoint = [...i].sort((x, y) => y - x)[Math.floor(targetFmr * i.length)]! + 1e-6;
  const fnmrPoint = [...g].sort((x, y) => x - y)[Math.floor(targetFnmr * g.length)]!;
  log(
    `  rule: FMR point (lowest cosine with ≤ ${pct(targetFmr)} of impostor pairs at or above) ${fmrPoint.toFixed(4)}; ` +
      `FNMR point (highest cosine with ≤ ${pct(targetFnmr)} of genuine pairs below) ${fnmrPoint.toFixed(4)} → ` +
      (fnmrPoint > fmrPoint ? 'classes separated: swapped (match = FNMR point, mismatch = FMR point)' : 'classes overlap: match = FMR point, mismatch = FNMR point'),
  );
  log();
  if (previous?.matchThreshold !== undefined) log(`${relative(process.cwd(), out)} before this run: match ≥ ${previous.matchThreshold}, mismatch < ${previous.mismatchThreshold} (${previous.counts?.identities ?? '?'} identities, ${previous.createdAt ?? '?'})`);
  table(`before (fitted on ${baselineSet} only)`, before.groups, before.full);
  log();
  table('after (fitted on all sets)', after.groups, after.full);
  log();
  log(`  written: match ≥ ${calibration.matchThreshold}, mismatch < ${calibration.mismatchThreshold}; overall 95 % upper bounds FMR ≤ ${calibration.upper95!.fmr}, FNMR ≤ ${calibration.upper95!.fnmr}`);
  log(write ? `  wrote ${out}` : '  --no-write: nothing written');
  if (json) {
    console.log(
      JSON.stringify({
        photos: samples.length,
        identities: identities.length,
        skipped,
        pairs: pairs.length,
        nearDuplicatePairsLeftOut: droppedDuplicates,
        targets: { fmr: targetFmr, fnmr: targetFnmr },
        before: { match: round(before.full.match), mismatch: round(before.full.mismatch), fittedOn: baselineSet, groups: before.groups },
        after: { match: calibration.matchThreshold, mismatch: calibration.mismatchThreshold, groups: after.groups },
        distinctPairs: Object.fromEntries(groupNames.map((n) => [n, distinct(n)])),
        written: write ? out : null,
      }),
    );
  }
}

const round = (v: number) => Math.round(v * 1e4) / 1e4;
function quantile(v: readonly number[], q: number): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.floor(q * s.length)))] ?? NaN;
}

await main();
