/**
 * `veridesk review CASE_ID --db PATH [--key-file PATH] [--json]`: re-runs the verification on a case's customer
 * recording with its ID photo and recorded events, and prints the new report beside the call's, differences marked
 * (src/main/review/reanalysis.ts). With --json the only line is the result as canonical JSON — same inputs, same
 * bytes. The recording is decrypted in memory and piped to ffmpeg; nothing is written in clear.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { AppFailure } from '../../shared/errors';
import { comparisonRows, type ComparisonRow, type ReanalysisResult } from '../../shared/reanalysis';
import { FileKeyProvider } from '../caselog/key-provider';
import { CaseStore } from '../caselog/store';
import { defaultModelsDir } from '../engine/manifest';
import { EngineService } from '../engine/service';
import { silentLogger } from '../log/logger';
import { RecordingService } from '../recording/recording-service';
import { prepareReanalysis } from '../review/reanalysis-inputs';
import { reanalysisJson, runReanalysis } from '../review/reanalysis';

interface ReviewOptions {
  db: string;
  keyFile?: string;
  json?: boolean;
  threads?: string;
  modelsDir?: string;
}

/** The key file: --key-file, else VERIDESK_KEY_FILE, else `<db>.key` (as `cases …`). Never created here. */
const keyFileFor = (db: string, keyFile?: string) => keyFile || process.env.VERIDESK_KEY_FILE || `${db}.key`;

const shown = (v: string | number | null, row: ComparisonRow) =>
  v === null ? (row.comparison === 'not_recorded' ? '(not recorded)' : '–') : typeof v === 'number' ? (row.field === 'score' ? v.toFixed(3) : String(v)) : row.group === 'model' ? v.slice(0, 12) : v;

function label(row: ComparisonRow): string {
  if (row.check) return `${row.check} ${row.field}`;
  if (row.group === 'spoken_code') return `spoken_code ${row.field}`;
  if (row.group === 'model') return `model ${row.name}`;
  if (row.group === 'threshold') return `face_match threshold ${row.key.slice('threshold.'.length)}`;
  return row.key;
}

const MARK: Record<ComparisonRow['comparison'], string> = { same: ' ', different: '≠', not_recorded: '?' };

function printHuman(r: ReanalysisResult, elapsedMs: number): void {
  const out = (line = '') => console.log(line);
  const { inputs } = r;
  out(`veridesk review — case ${r.caseId} (service ${inputs.serviceType}, opened ${inputs.date})`);
  out(`  recording ${inputs.recording.recordingId}: ${inputs.recording.chunks} chunks, ${inputs.recording.bytes} bytes${inputs.recording.others ? ` (${inputs.recording.others} other customer recording(s) not used)` : ''}`);
  out(`  video: ${inputs.video.frames} frames @ ${inputs.video.fps} fps, ${inputs.video.width}×${inputs.video.height}${inputs.video.skippedFrames ? `, ${inputs.video.skippedFrames} skipped` : ''}`);
  out(`  ID photo ${inputs.idPhoto.evidenceId}: ${inputs.idPhoto.faces} face(s)${inputs.idPhoto.usable ? '' : ', none usable'}`);
  const recorded = Object.entries(inputs.recorded).filter(([, v]) => v === true || (typeof v === 'number' && v > 0)).map(([k]) => k);
  out(`  from the call's case events: ${recorded.length ? recorded.join(', ') : 'nothing beyond the frames'}`);
  out();
  if (!r.original) {
    out("the call's report: none in the case log (no closing summary, no verification events) — nothing to compare");
    out(`re-analysis: advice ${r.reanalysis.advice}; ${r.reanalysis.checks.map((c) => `${c.id} ${c.status} (${c.reason})`).join(', ')}`);
  } else {
    out(`the call's report: from the ${r.original.source === 'closing_summary' ? 'closing summary' : 'verification events'}${r.original.decision ? `, decision ${r.original.decision}` : ''}`);
    out(`  ${'item'.padEnd(26)} ${'original'.padEnd(22)} re-analysis`);
    for (const row of comparisonRows(r.original, r.reanalysis)) {
      out(`${MARK[row.comparison]} ${label(row).padEnd(26)} ${String(shown(row.original, row)).padEnd(22)} ${shown(row.reanalysis, row)}`);
    }
    out('  ≠ differs; ? not recorded in the call\'s case log (scores: as written when the status last changed)');
    out(`differences: ${r.differences.length}${r.differences.length ? ` (${r.differences.map(label).join(', ')})` : ''}`);
  }
  const seconds = inputs.video.fps > 0 ? (inputs.video.frames + inputs.video.skippedFrames) / inputs.video.fps : 0;
  out(`timing: ${(elapsedMs / 1000).toFixed(2)} s for ${seconds.toFixed(2)} s of video`);
}

function errorOf(error: unknown): { code: string; message: string } {
  if (error instanceof AppFailure) return { code: error.code, message: error.message };
  return { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) };
}

/** `review` (issue 11): re-analysis of a case's recording. */
export function registerReviewCommand(program: Command): void {
  program
    .command('review <caseId>')
    .description("re-run the verification on a case's customer recording (its ID photo, its recorded events) and compare it with the call's report")
    .requiredOption('--db <path>', 'case log database')
    .option('--key-file <path>', 'master key file of --db (default <db>.key or VERIDESK_KEY_FILE)')
    .option('--json', 'print the result as one line of canonical JSON (the same bytes for the same inputs)')
    .option('--threads <n>', 'onnxruntime intra-op threads', '1')
    .option('--models-dir <dir>', 'models folder (default: ./models)')
    .action(async (caseId: string, options: ReviewOptions) => {
      let engine: EngineService | null = null;
      let store: CaseStore | null = null;
      try {
        // reading must not create an empty database or a new key next to a mistyped path
        if (!existsSync(options.db)) throw new AppFailure('NOT_FOUND', `database ${options.db} does not exist`);
        store = CaseStore.open({ path: options.db, keyProvider: new FileKeyProvider(keyFileFor(options.db, options.keyFile), { create: false }) });
        // the case's inputs first: a case that cannot be re-analysed is refused without starting the engine
        const prepared = prepareReanalysis(store, new RecordingService({ store, log: silentLogger }), caseId);
        const modelsDir = options.modelsDir ? resolve(options.modelsDir) : defaultModelsDir();
        engine = new EngineService({ logger: silentLogger, modelsDir, intraOpThreads: Math.max(1, Number(options.threads) || 1), maxConsecutiveFailures: 0 });
        await engine.start();
        const started = performance.now();
        const result = await runReanalysis(engine, prepared, modelsDir);
        if (options.json) console.log(reanalysisJson(result));
        else printHuman(result, performance.now() - started);
      } catch (error) {
        const e = errorOf(error);
        if (options.json) console.log(JSON.stringify({ error: e }));
        else console.error(`error [${e.code}]: ${e.message}`);
        process.exitCode = e.code === 'CORRUPT_INPUT' || e.code === 'NOT_FOUND' || e.code === 'INVALID_PAYLOAD' ? 2 : 1;
      } finally {
        await engine?.stop();
        store?.close();
      }
    });
}
