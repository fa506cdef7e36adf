/**
 * `veridesk verify --id PHOTO --video FILE [--json] [--service transact]`: the verification session of a live call,
 * run offline on every frame of a recording (src/main/verification/offline.ts). Prints every check with status,
 * reason, score and the frames it rests on. With --json the only (and last) line is the QA summary
 * (qaSummary in src/shared/verification.ts; docs/verification.md) — same inputs, same bytes.
 */
import { accessSync, constants, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { SERVICE_TYPES, type ServiceType } from '../../shared/cases';
import { AppFailure } from '../../shared/errors';
import { qaSummary, type Check, type VerificationEvent, type VerificationReport } from '../../shared/verification';
import { silentLogger } from '../log/logger';
import { defaultModelsDir } from '../engine/manifest';
import { EngineService } from '../engine/service';
import { verifyVideo, type OfflineVerifyResult } from '../verification/offline';
import { verificationEventsOf, withRecordedOutcomes } from '../verification/recorded-events';
import { CaseStore } from '../caselog/store';
import { FileKeyProvider } from '../caselog/key-provider';

interface VerifyOptions {
  id: string;
  video: string;
  json?: boolean;
  service: string;
  idNumber?: string;
  date?: string;
  threads?: string;
  modelsDir?: string;
  maxFrames?: string;
  db?: string;
  case?: string;
  keyFile?: string;
}

function readInput(path: string): Uint8Array;
function readInput(path: string, checkOnly: true): void;
function readInput(path: string, checkOnly = false): Uint8Array | void {
  try {
    if (checkOnly) accessSync(path, constants.R_OK);
    else return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new AppFailure(code === 'ENOENT' ? 'NOT_FOUND' : 'IO_ERROR', `cannot read ${path}${code ? ` (${code})` : ''}`);
  }
}

/** The case's verification events from the local case log (read only; the key file as the cases commands find it). */
function recordedVerificationEvents(db: string, caseId: string, keyFile?: string): VerificationEvent[] {
  readInput(db, true);
  const store = CaseStore.open({ path: db, keyProvider: new FileKeyProvider(keyFile || process.env.VERIDESK_KEY_FILE || `${db}.key`) });
  try {
    store.summary(caseId); // NOT_FOUND for a case this log does not have
    return verificationEventsOf(store.events(caseId));
  } finally {
    store.close();
  }
}

function parseDate(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const d = m ? new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : null;
  if (!d || d.getMonth() !== Number(m![2]) - 1) throw new AppFailure('INVALID_PAYLOAD', `--date must be YYYY-MM-DD, got ${value}`);
  return d;
}

const f3 = (v: unknown) => (typeof v === 'number' ? v.toFixed(3) : '–');
const ms = (t: number) => `${(t / 1000).toFixed(2)}s`;

function evidenceText(c: Check): string {
  if (!c.evidence?.length) return '';
  return c.evidence.map((e) => `${e.kind}@${ms(e.capturedAt)}`).join(' ');
}

/** A value in a check's details by path (details are display data here, not a contract). */
function at(details: Record<string, unknown> | undefined, ...path: string[]): unknown {
  let v: unknown = details;
  for (const key of path) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined;
  return v;
}

const text = (v: unknown) => (v === undefined || v === null ? '–' : String(v));

function detailLine(c: Check): string | null {
  const d = c.details;
  switch (c.id) {
    case 'face_match':
      if (c.score === undefined) return `${text(at(d, 'keyFrames'))} key frame(s)${at(d, 'needed') ? `, need ${text(at(d, 'needed'))}` : ''}`;
      return (
        `median of ${text(at(d, 'usedCount'))} ${at(d, 'used') === 'calm_frontal' ? 'calm frontal ' : ''}key frames (of ${text(at(d, 'keyFrames'))}); ` +
        `best ${f3(at(d, 'best'))}, worst ${f3(at(d, 'worst'))}; frontal ${text(at(d, 'frontal', 'n'))} (median ${f3(at(d, 'frontal', 'median'))}), ` +
        `turned ${text(at(d, 'turned', 'n'))} (median ${f3(at(d, 'turned', 'median'))})`
      );
    case 'passive_liveness':
      return c.score === undefined
        ? `${text(at(d, 'frames'))} liveness frame(s), need ${text(at(d, 'needed'))}`
        : `${text(at(d, 'frames'))} liveness frames, live share ${f3(at(d, 'liveShare'))}, lowest ${f3(at(d, 'min'))} (live ≥ ${text(at(d, 'threshold'))})`;
    case 'face_swap': {
      const signals = at(d, 'signals');
      if (!Array.isArray(signals)) return null;
      return (signals as Array<{ id: string; status: string; reason: string }>).map((s) => `${s.id} ${s.status}${s.status !== 'pass' ? ` (${s.reason})` : ''}`).join(', ');
    }
    case 'presence':
      return `max faces ${text(at(d, 'maxFaces'))}, brief second faces ${text(at(d, 'transientSecondFaces'))}${typeof at(d, 'secondFaceMs') === 'number' ? `, second face for ${ms(at(d, 'secondFaceMs') as number)}` : ''}`;
    case 'id_consistency':
      if (c.status === 'not_run') return 'no --id-number given';
      if (at(d, 'claimedAge') === undefined) return null;
      return `claimed age ${text(at(d, 'claimedAge'))}, estimated ${text(at(d, 'estimatedAge'))}; gender ${text(at(d, 'claimedGender'))} vs p(male) ${f3(at(d, 'maleProbability'))}`;
    case 'quality': {
      const guidance = at(d, 'guidance');
      if (!Array.isArray(guidance) || guidance.length === 0) return null;
      return `guidance: ${(guidance as Array<{ code: string; share: number }>).map((g) => `${g.code} (${Math.round(g.share * 100)} %)`).join(', ')}`;
    }
    case 'active_liveness':
      return c.status === 'not_run' ? 'a recording has no case events: no challenge was run' : null;
  }
}

function printHuman(r: OfflineVerifyResult, options: VerifyOptions): void {
  const report: VerificationReport = r.report;
  const out = (line = '') => console.log(line);
  out(`veridesk verify — service ${report.serviceType}`);
  out(`  ID photo ${options.id}: ${r.idPhoto.faces} face(s)${r.idPhoto.hasEmbedding ? '' : ', none usable'}`);
  out(`  video ${options.video}: ${r.frames} frames @ ${r.fps} fps = ${r.durationSeconds.toFixed(2)} s${r.skippedFrames ? `, ${r.skippedFrames} skipped` : ''}; ${report.frames.withFace} with a face, ${report.frames.keyFrames} key frames`);
  out();
  out(`advice: ${report.advice.toUpperCase()}   (state ${report.state}; required for ${report.serviceType}: ${report.required.join(', ') || 'none'})`);
  for (const a of report.adviceReasons) out(`  because ${a.check} is ${a.status} (${a.reason})${a.required ? '' : ' [advisory]'}`);
  out();
  out('check             status    reason                  score    band      evidence (video time)');
  for (const c of report.checks) {
    out(`${c.id.padEnd(17)} ${c.status.padEnd(9)} ${c.reason.padEnd(23)} ${(c.score === undefined ? '' : c.score.toFixed(4)).padEnd(8)} ${(c.band ?? '').padEnd(9)} ${evidenceText(c)}`.trimEnd());
    const detail = detailLine(c);
    if (detail) out(`${' '.repeat(18)}${detail}`);
  }
  out(`${'spoken_code'.padEnd(17)} ${report.spokenCode.status.padEnd(9)} ${report.spokenCode.reason}`);
  out();
  const t = report.thresholds;
  out(`thresholds: face match ≥ ${t.faceMatch.match} match, < ${t.faceMatch.mismatch} mismatch (${t.faceMatch.source}); liveness live ≥ ${t.config.livenessLive}`);
  const { firstFaceAt, verdictAt } = report.frames;
  out(
    firstFaceAt === null
      ? 'verdict: no face in the video'
      : verdictAt === null
        ? `verdict: not reached (face from ${ms(firstFaceAt)}; a check still pending)`
        : `verdict (passive checks settled) at ${ms(verdictAt)} of video, ${ms(verdictAt - firstFaceAt)} after the face appeared`,
  );
  const perSecond = r.durationSeconds > 0 ? r.elapsedMs / 1000 / r.durationSeconds : 0;
  out(`timing: ${(r.elapsedMs / 1000).toFixed(2)} s for ${r.durationSeconds.toFixed(2)} s of video (${perSecond.toFixed(2)} s per video second, ${r.frames ? ((r.elapsedMs - r.idPhotoMs) / r.frames).toFixed(1) : '–'} ms/frame; ID photo ${r.idPhotoMs.toFixed(0)} ms)`);
}

function errorOf(error: unknown): { code: string; message: string } {
  if (error instanceof AppFailure) return { code: error.code, message: error.message };
  return { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) };
}

/** `verify` (issue 9): offline verification of a recording against an ID photo. */
export function registerVerifyCommand(program: Command): void {
  program
    .command('verify')
    .description('run the verification session on every frame of a recording against an ID photo and print the report')
    .requiredOption('--id <photo>', 'ID photo (JPEG, PNG or WebP)')
    .requiredOption('--video <file>', 'recording (.y4m natively; other formats via ffmpeg)')
    .option('--service <type>', `service type: ${SERVICE_TYPES.join(' | ')}`, 'transact')
    .option('--id-number <number>', 'claimed 18-digit ID number (id_consistency; never printed)')
    .option('--date <YYYY-MM-DD>', 'date the claimed age is computed on (default: today)')
    .option('--json', 'print only the QA summary as one JSON line')
    .option('--threads <n>', 'onnxruntime intra-op threads', '1')
    .option('--models-dir <dir>', 'models folder (default: ./models)')
    .option('--max-frames <n>', 'stop after this many frames')
    .option('--db <path>', "the workstation's case log (with --case: the call's challenge and spoken-code outcomes go into the report)")
    .option('--case <caseId>', 'the case the recording belongs to (needs --db)')
    .option('--key-file <path>', 'master key file of --db (default <db>.key or VERIDESK_KEY_FILE)')
    .action(async (options: VerifyOptions) => {
      let engine: EngineService | null = null;
      try {
        if (!(SERVICE_TYPES as readonly string[]).includes(options.service)) throw new AppFailure('INVALID_PAYLOAD', `--service must be one of ${SERVICE_TYPES.join(', ')}`);
        const date = parseDate(options.date);
        if (Boolean(options.db) !== Boolean(options.case)) throw new AppFailure('INVALID_PAYLOAD', '--db and --case go together');
        const recorded = options.db && options.case ? recordedVerificationEvents(options.db, options.case, options.keyFile) : null;
        const idPhoto = readInput(options.id);
        readInput(options.video, true); // exists and is readable (the video itself is streamed)
        const modelsDir = options.modelsDir ? resolve(options.modelsDir) : defaultModelsDir();
        engine = new EngineService({ logger: silentLogger, modelsDir, intraOpThreads: Math.max(1, Number(options.threads) || 1), maxConsecutiveFailures: 0 });
        await engine.start();
        const result = await verifyVideo(engine, {
          idPhoto,
          video: options.video,
          serviceType: options.service as ServiceType,
          idNumber: options.idNumber,
          date,
          modelsDir,
          maxFrames: options.maxFrames ? Number(options.maxFrames) : undefined,
        });
        if (recorded) result.report = withRecordedOutcomes(result.report, recorded);
        if (options.json) console.log(JSON.stringify(qaSummary(result.report)));
        else printHuman(result, options);
      } catch (error) {
        const e = errorOf(error);
        if (options.json) console.log(JSON.stringify({ error: e }));
        else console.error(`error [${e.code}]: ${e.message}`);
        process.exitCode = e.code === 'CORRUPT_INPUT' || e.code === 'NOT_FOUND' || e.code === 'INVALID_PAYLOAD' ? 2 : 1;
      } finally {
        await engine?.stop();
      }
    });
}
