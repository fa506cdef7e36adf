/**
 * Re-analysis (issue 11 item 2): `cases.reanalyze({ caseId })` and `veridesk review CASE_ID`. Runs the
 * verification service again on a case's customer recording with the case's own ID photo and recorded events
 * (./reanalysis-inputs.ts, ./reanalysis-run.ts), and sets the new report beside the one the call produced
 * (./reanalysis-original.ts) with the differences (src/shared/reanalysis.ts).
 *
 * Same inputs, same bytes: no wall-clock time goes in (the session clock is the video's, the date is the case's
 * opened date), the engine path is the deterministic offline one, numbers are rounded below float noise, and
 * reanalysisJson() writes canonical JSON (sorted keys).
 */
import { canonicalJson } from '../../common/canonical';
import { AppFailure } from '../../shared/errors';
import { differencesOf, refusalMessage, type ReanalysisResult } from '../../shared/reanalysis';
import type { CaseStore } from '../caselog/store';
import { defaultModelsDir } from '../engine/manifest';
import type { EngineService } from '../engine/service';
import type { RecordingService } from '../recording/recording-service';
import { prepareReanalysis, type PreparedReanalysis } from './reanalysis-inputs';
import { withCallOutcomes } from './reanalysis-recorded';
import { analyzeRecording } from './reanalysis-run';

export interface ReanalysisDeps {
  store: CaseStore;
  recordings: RecordingService;
  /** The workstation's engine (null when it runs without one). */
  engine: EngineService | null;
  /** The engine's models folder, for the model versions in the report (default: the repo's models/). */
  modelsDir?: string;
}

/**
 * Numbers to 6 decimals: a last-bit difference between two runs of the same floats never changes the bytes.
 * A non-finite number becomes null, as JSON.stringify would write it (canonical JSON refuses it).
 */
function rounded<T>(value: T): T {
  if (typeof value === 'number') return (!Number.isFinite(value) ? null : Number.isInteger(value) ? value : Math.round(value * 1e6) / 1e6) as T;
  if (Array.isArray(value)) return value.map(rounded) as T;
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rounded(v)])) as T;
  return value;
}

/** Local YYYY-MM-DD (the calendar day id_consistency computes the claimed age on). */
function localDay(t: number): string {
  const d = new Date(t);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** Runs a prepared case on a ready engine (the CLI starts its own; the workstation uses its running one). */
export async function runReanalysis(engine: EngineService, prepared: PreparedReanalysis, modelsDir = defaultModelsDir()): Promise<ReanalysisResult> {
  const run = await analyzeRecording(engine, {
    idPhoto: prepared.idPhoto.data,
    feed: prepared.feed,
    serviceType: prepared.serviceType,
    date: new Date(prepared.openedAt),
    idNumber: prepared.idNumber,
    device: prepared.device,
    occlusionAt: prepared.occlusionAt,
    modelsDir,
  });
  const reanalysis = rounded(withCallOutcomes(run.report, prepared.events));
  const original = rounded(prepared.original);
  const { recording } = prepared;
  return {
    caseId: prepared.caseId,
    inputs: {
      serviceType: prepared.serviceType,
      date: localDay(prepared.openedAt),
      recording: { recordingId: recording.recordingId, chunks: recording.chunks, bytes: recording.bytes, sha256: recording.sha256, others: prepared.otherRecordings },
      idPhoto: { evidenceId: prepared.idPhoto.evidenceId, sha256: prepared.idPhoto.sha256, faces: run.idPhoto.faces, usable: run.idPhoto.usable },
      video: run.video,
      recorded: {
        challenge: prepared.events.some((e) => e.type === 'challenge.finished'),
        spokenCode: prepared.events.some((e) => e.type === 'spoken_code.confirmed'),
        device: prepared.device !== null,
        idNumber: prepared.idNumber !== null,
        occlusionTests: prepared.occlusionAt.length,
      },
    },
    original,
    reanalysis,
    differences: differencesOf(original, reanalysis),
  };
}

/** One re-analysis at a time per engine: the engine analyses one frame at a time anyway, and the stream id is shared. */
const queues = new WeakMap<EngineService, Promise<unknown>>();

function serialized<T>(engine: EngineService, job: () => Promise<T>): Promise<T> {
  const next = (queues.get(engine) ?? Promise.resolve()).then(() => job());
  queues.set(
    engine,
    next.catch(() => {}),
  );
  return next;
}

/**
 * `cases.reanalyze`: NOT_FOUND for an unknown case or a missing / purged recording or ID photo (checked first: no
 * engine work for a case that cannot be done), UNAVAILABLE while the engine is not ready. Resolves when done
 * (seconds: every frame of the recording goes through the engine).
 */
export async function reanalyzeCase(deps: ReanalysisDeps, caseId: string): Promise<ReanalysisResult> {
  const prepared = prepareReanalysis(deps.store, deps.recordings, caseId);
  const engine = deps.engine;
  const state = engine?.status().state ?? 'stopped';
  if (!engine || state !== 'ready') throw new AppFailure('UNAVAILABLE', refusalMessage('engine_not_ready', `the face engine is ${state}: re-analysis needs it ready`));
  return serialized(engine, () => runReanalysis(engine, prepared, deps.modelsDir));
}

/** The `--json` form: canonical JSON (sorted keys, no whitespace) of the result. */
export const reanalysisJson = (result: ReanalysisResult): string => canonicalJson(result);
