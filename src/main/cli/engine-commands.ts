import { readFileSync } from 'node:fs';
import { dirname, extname, isAbsolute, resolve } from 'node:path';
import type { Command } from 'commander';
import type { Face, ImageAnalysis } from '../../shared/engine';
import { AppFailure } from '../../shared/errors';
import { silentLogger } from '../log/logger';
import { EngineService } from '../engine/service';
import { analyzeVideo } from '../engine/timeline';
import { parseCsv } from '../engine/csv';

interface CommonOptions {
  json?: boolean;
  threads?: string;
  modelsDir?: string;
}

function engineFrom(options: CommonOptions): EngineService {
  return new EngineService({
    logger: silentLogger,
    modelsDir: options.modelsDir ? resolve(options.modelsDir) : undefined,
    intraOpThreads: options.threads ? Math.max(1, Number(options.threads) || 1) : 1,
    maxConsecutiveFailures: 0,
  });
}

function readInput(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new AppFailure(code === 'ENOENT' ? 'NOT_FOUND' : 'IO_ERROR', `cannot read ${path}${code ? ` (${code})` : ''}`);
  }
}

const r3 = (v: number) => Math.round(v * 1000) / 1000;
const box = (f: Face) => ({ x: Math.round(f.box.x), y: Math.round(f.box.y), width: Math.round(f.box.width), height: Math.round(f.box.height) });

/** A face as printed by the CLI (no landmarks unless asked; never pixels or embeddings). */
function faceSummary(f: Face) {
  return {
    box: box(f),
    score: r3(f.score),
    liveness: f.liveness === undefined ? null : r3(f.liveness),
    eyesOpen: f.eyes?.open ?? null,
    pose: f.pose ? { yaw: Math.round(f.pose.yaw), pitch: Math.round(f.pose.pitch), roll: Math.round(f.pose.roll) } : null,
    mouthOpening: f.mouthOpening === undefined ? null : r3(f.mouthOpening),
    quality: f.quality
      ? {
          ok: f.quality.ok,
          issues: f.quality.issues,
          brightness: r3(f.quality.brightness),
          contrast: r3(f.quality.contrast),
          sharpness: Math.round(f.quality.sharpness),
          faceSize: Math.round(f.quality.faceSize),
        }
      : null,
  };
}

function imageSummary(a: ImageAnalysis) {
  const best = a.faces[a.best];
  return { width: a.width, height: a.height, faceCount: a.faces.length, detection: a.detection, face: best ? faceSummary(best) : null };
}

function errorOf(error: unknown): { code: string; message: string } {
  if (error instanceof AppFailure) return { code: error.code, message: error.message };
  return { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) };
}

function csvCell(value: string): string {
  return /[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

async function comparePairs(engine: EngineService, file: string, json: boolean): Promise<void> {
  const rows = parseCsv(readFileSync(file, 'utf8'));
  if (rows.length > 0 && (!('a' in rows[0]!) || !('b' in rows[0]!))) throw new AppFailure('CORRUPT_INPUT', `${file} needs a header with columns a,b`);
  const base = dirname(resolve(file));
  const cache = new Map<string, Promise<ImageAnalysis>>();
  const analyse = (p: string) => {
    const path = isAbsolute(p) ? p : resolve(base, p);
    let result = cache.get(path);
    if (!result) {
      result = (async () => engine.analyzeImage(readInput(path)))();
      cache.set(path, result);
    }
    return result;
  };
  const cal = engine.getCalibration();
  if (!json) console.log('a,b,similarity,band,status');
  for (const row of rows) {
    const a = row.a ?? '';
    const b = row.b ?? '';
    let out: { a: string; b: string; similarity: number | null; band: string | null; status: string; error?: string };
    try {
      const [ra, rb] = [await analyse(a), await analyse(b)];
      if (!ra.embedding || !rb.embedding) {
        out = { a, b, similarity: null, band: null, status: !ra.embedding && !rb.embedding ? 'no_face_both' : !ra.embedding ? 'no_face_a' : 'no_face_b' };
      } else {
        const c = engine.compareEmbeddings(ra.embedding, rb.embedding);
        out = { a, b, similarity: r3(c.similarity), band: c.band, status: 'ok' };
      }
    } catch (error) {
      const e = errorOf(error);
      out = { a, b, similarity: null, band: null, status: `error_${e.code.toLowerCase()}`, error: e.message };
    }
    if (json) console.log(JSON.stringify(out));
    else console.log([csvCell(a), csvCell(b), out.similarity === null ? '' : out.similarity.toFixed(3), out.band ?? '', out.status].join(','));
  }
  if (!json) console.error(`thresholds: match ≥ ${cal.matchThreshold}, mismatch < ${cal.mismatchThreshold} (models/calibration.json)`);
}

async function withEngine<T>(options: CommonOptions, body: (engine: EngineService) => Promise<T>): Promise<T> {
  const engine = engineFrom(options);
  try {
    await engine.start();
    return await body(engine);
  } finally {
    await engine.stop();
  }
}

function fail(error: unknown, json: boolean | undefined): void {
  const e = errorOf(error);
  if (json) console.log(JSON.stringify({ error: e }));
  else console.error(`error [${e.code}]: ${e.message}`);
  process.exitCode = e.code === 'CORRUPT_INPUT' || e.code === 'NOT_FOUND' ? 2 : 1;
}

const VIDEO_EXTENSIONS = new Set(['.y4m', '.mp4', '.mov', '.mkv', '.webm', '.avi', '.m4v']);

/** `compare`, `analyze` (face engine, issue 3). */
export function registerEngineCommands(program: Command): void {
  program
    .command('compare')
    .description('compare the faces of two images (similarity + calibrated band), or every a,b row of a CSV with --pairs')
    .argument('[a]', 'first image (e.g. live capture)')
    .argument('[b]', 'second image (e.g. ID photo)')
    .option('--pairs <file>', 'CSV with columns a,b (paths relative to the CSV); prints a,b,similarity,band,status per row')
    .option('--json', 'machine-readable output')
    .option('--threads <n>', 'onnxruntime intra-op threads', '1')
    .option('--models-dir <dir>', 'models folder (default: ./models)')
    .action(async (a: string | undefined, b: string | undefined, options: CommonOptions & { pairs?: string }) => {
      try {
        if (options.pairs) {
          await withEngine(options, (engine) => comparePairs(engine, options.pairs!, options.json === true));
          return;
        }
        if (!a || !b) throw new AppFailure('INVALID_PAYLOAD', 'usage: compare A B [--json] | compare --pairs FILE.csv [--json]');
        const [bytesA, bytesB] = [readInput(a), readInput(b)];
        await withEngine(options, async (engine) => {
          const r = await engine.compare(bytesA, bytesB);
          const out = {
            status: r.status,
            similarity: r.comparison ? r3(r.comparison.similarity) : null,
            band: r.comparison?.band ?? null,
            thresholds: { match: engine.getCalibration().matchThreshold, mismatch: engine.getCalibration().mismatchThreshold },
            provider: engine.status().provider,
            a: imageSummary(r.a),
            b: imageSummary(r.b),
          };
          if (options.json) {
            console.log(JSON.stringify(out));
            return;
          }
          if (r.comparison) console.log(`similarity ${out.similarity!.toFixed(3)} → ${out.band}  (match ≥ ${out.thresholds.match}, mismatch < ${out.thresholds.mismatch})`);
          else console.log(`no comparison: ${r.status.replace(/_/g, ' ')}`);
          for (const [name, side] of [
            ['A', out.a],
            ['B', out.b],
          ] as const) {
            const f = side.face;
            console.log(
              `${name}: ${side.width}×${side.height}, ${side.faceCount} face(s)${side.detection === 'tiled' ? ' (found by tiled search)' : ''}` +
                (f ? `; face at ${f.box.x},${f.box.y} ${f.box.width}×${f.box.height}, quality ${f.quality?.ok ? 'ok' : (f.quality?.issues.join(', ') ?? '?')}` : ''),
            );
          }
        });
      } catch (error) {
        fail(error, options.json);
      }
    });

  program
    .command('analyze')
    .description('image: all faces and attributes; video (.y4m, or any format via ffmpeg): per-second timeline')
    .argument('<file>')
    .option('--json', 'machine-readable output')
    .option('--threads <n>', 'onnxruntime intra-op threads', '1')
    .option('--models-dir <dir>', 'models folder (default: ./models)')
    .option('--max-frames <n>', 'video: stop after this many frames')
    .action(async (file: string, options: CommonOptions & { maxFrames?: string }) => {
      try {
        if (VIDEO_EXTENSIONS.has(extname(file).toLowerCase())) {
          await withEngine(options, async (engine) => {
            const v = await analyzeVideo(engine, file, { maxFrames: options.maxFrames ? Number(options.maxFrames) : undefined });
            if (options.json) {
              console.log(JSON.stringify({ ...v, provider: engine.status().provider }));
              return;
            }
            console.log(`${file}: ${v.frames} frames, ${v.width}×${v.height} @ ${v.fps} fps, ${v.durationSeconds.toFixed(1)} s; blinks ${v.blinkCount}; mean liveness ${v.meanLiveness?.toFixed(3) ?? '–'}; ${v.msPerFrame.toFixed(1)} ms/frame`);
            console.log('sec  frames faces  live  eyesOpen   yaw  pitch  roll  mouth  qualityOk  blinks  issues');
            for (const s of v.timeline) {
              const f = (x: number | null, d = 2) => (x === null ? '–' : x.toFixed(d));
              console.log(
                `${String(s.second).padStart(3)}  ${String(s.frames).padStart(6)} ${String(s.maxFaces).padStart(5)}  ${f(s.liveness)}  ${f(s.eyesOpenFraction).padStart(8)}  ${f(s.yaw, 0).padStart(4)}  ${f(s.pitch, 0).padStart(5)}  ${f(s.roll, 0).padStart(4)}  ${f(s.mouthOpeningMax).padStart(5)}  ${f(s.qualityOkFraction).padStart(9)}  ${String(s.blinks).padStart(6)}  ${s.issues.join(',')}`,
              );
            }
          });
          return;
        }
        const bytes = readInput(file);
        await withEngine(options, async (engine) => {
          const r = await engine.analyzeImage(bytes);
          const out = { file, width: r.width, height: r.height, detection: r.detection, best: r.best, faces: r.faces.map(faceSummary), provider: engine.status().provider };
          if (options.json) {
            console.log(JSON.stringify(out));
            return;
          }
          console.log(`${file}: ${r.width}×${r.height}, ${r.faces.length} face(s)${r.detection === 'tiled' ? ' (tiled search)' : ''}`);
          out.faces.forEach((f, i) => {
            console.log(
              `${i === r.best ? '*' : ' '} #${i} box ${f.box.x},${f.box.y} ${f.box.width}×${f.box.height} score ${f.score} live ${f.liveness} eyes ${f.eyesOpen ? 'open' : 'closed'} ` +
                `yaw ${f.pose?.yaw} pitch ${f.pose?.pitch} roll ${f.pose?.roll} mouth ${f.mouthOpening} quality ${f.quality?.ok ? 'ok' : f.quality?.issues.join(',')}`,
            );
          });
        });
      } catch (error) {
        fail(error, options.json);
      }
    });
}
