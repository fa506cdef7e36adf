/**
 * Re-analysis on a real case (issue 11 item 2), with the real engine and models and real media: a CaseStore in a
 * temp dir; a "call" through the real DeskService — an ID photo cut from live_blink_talk.mp4 at 6.5 s, an ID
 * number, the customer's frames from a 3 s, 320 px VP8/Opus WebM of the same person (2.33–5.33 s, made here with
 * ffmpeg), the decision and its closing summary — and that WebM as the encrypted customer recording
 * (RecordingService). Then `review` as a function on this file's engine and as the real CLI: the same bytes, a sane
 * report. An impostor ID photo under the same call's report gives a face_match difference; a purged recording a
 * clear error. Skips without models/ (`npm run models`) or ffmpeg.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idCheckDigit } from '../../../src/shared/id-number';
import { ReanalysisResultSchema, refusalOf, type ReanalysisResult } from '../../../src/shared/reanalysis';
import { AppFailure } from '../../../src/shared/errors';
import { FileKeyProvider } from '../../../src/main/caselog/key-provider';
import { CaseStore } from '../../../src/main/caselog/store';
import { DeskService, type ActiveCall } from '../../../src/main/desk/desk-service';
import { defaultModelsDir, modelsPresent } from '../../../src/main/engine/manifest';
import { EngineService } from '../../../src/main/engine/service';
import { analyzeInOrder } from '../../../src/main/engine/timeline';
import { openVideo, readY4m } from '../../../src/main/engine/video';
import { silentLogger } from '../../../src/main/log/logger';
import { RecordingService } from '../../../src/main/recording/recording-service';
import { reanalysisJson, reanalyzeCase } from '../../../src/main/review/reanalysis';
import { testdata } from '../../support/testdata';

const ROOT = resolve(import.meta.dirname, '../../..');
const modelsDir = defaultModelsDir();
const haveModels = modelsPresent(modelsDir);
const haveFfmpeg = spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).status === 0;
if (!haveModels) console.warn(`re-analysis integration tests skipped: models missing in ${modelsDir} — run \`npm run models\``);
else if (!haveFfmpeg) console.warn('re-analysis integration tests skipped: ffmpeg not on PATH');

const AGENT = 'agent-7';
const DEVICE = { videoLabel: 'Integrated Camera (04f2:b6d9)', virtualCamera: null, platform: 'pc' as const };
/** A valid number (GB 11643 check digit); the case log keeps only its mask, hash, birth date and gender. */
const ID_NUMBER = (() => {
  const first17 = '11010519960412003';
  return first17 + idCheckDigit(first17);
})();

function ffmpeg(args: string[]): void {
  const r = spawnSync('ffmpeg', ['-v', 'error', '-nostdin', '-y', ...args]);
  if (r.status !== 0) throw new Error(`ffmpeg ${args.join(' ')}: ${r.stderr.toString()}`);
}

/** MediaRecorder-like byte chunks (a timeslice cuts bytes, not frames). */
function chunks(webm: Buffer, n = 4): Buffer[] {
  const size = Math.ceil(webm.length / n);
  return Array.from({ length: Math.ceil(webm.length / size) }, (_, i) => webm.subarray(i * size, (i + 1) * size));
}

function record(recordings: RecordingService, caseId: string, callId: string, webm: Buffer, startedAt: number): Promise<unknown> {
  const { recordingId } = recordings.start({ caseId, callId, track: 'customer', mimeType: 'video/webm;codecs=vp8,opus', startedAt, actor: AGENT });
  chunks(webm).forEach((c, seq) => recordings.appendChunk(recordingId, seq, c));
  return recordings.stop(recordingId);
}

async function failure(p: Promise<unknown>): Promise<AppFailure> {
  const error = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppFailure);
  return error as AppFailure;
}

const check = (r: ReanalysisResult, id: string) => r.reanalysis.checks.find((c) => c.id === id)!;

describe.skipIf(!haveModels || !haveFfmpeg)('re-analysis of a real case (engine process, offline)', () => {
  const engine = new EngineService({ logger: silentLogger, modelsDir });
  let dir = '';
  let db = '';
  let store: CaseStore;
  let recordings: RecordingService;
  let webmPath = '';
  let webm: Buffer;
  let idPhoto: Buffer;
  let genuine = '';
  let impostor = '';
  let first: ReanalysisResult;

  /** A call as the workstation runs it: the desk's session fed with the customer's frames, then the decision. */
  async function callCase(): Promise<string> {
    const { caseId } = store.openCase({ agentId: AGENT, serviceType: 'query' });
    const callId = `call-${caseId.replaceAll('-', '').slice(0, 16)}`;
    const startedAt = Date.now();
    await record(recordings, caseId, callId, webm, startedAt);
    store.append({ caseId, type: 'device.reported', actor: 'customer', payload: { ...DEVICE, audioLabel: 'Microphone', settings: {} } });
    const call: ActiveCall = { callId, caseId, streamId: `call-${callId}`, serviceType: 'query', closed: false };
    const desk = new DeskService({ engine, store, activeCall: () => call, device: () => DEVICE, scripts: () => [], agentId: () => AGENT, emit: () => {}, log: silentLogger });
    try {
      await desk.setIdPhoto(callId, idPhoto.toString('base64'), 'file');
      desk.setIdInfo(callId, '王小明', ID_NUMBER);
      const { stream, close } = openVideo(webmPath, 640);
      try {
        for await (const f of readY4m(stream)) {
          const analysis = await analyzeInOrder(engine, { streamId: call.streamId, width: f.width, height: f.height, capturedAt: startedAt + f.time * 1000, rgba: f.rgba });
          if (analysis) desk.onAnalysis(analysis);
        }
      } finally {
        close();
        engine.releaseStream(call.streamId);
      }
      const advice = desk.current()!.report.advice;
      desk.decide(callId, 'pass', advice === 'pass' ? undefined : 'verified_other_means', undefined);
    } finally {
      desk.close();
    }
    return caseId;
  }

  /** The genuine call's report over another ID photo: as if the wrong person's photo had been filed with it. */
  function impostorCase(): Promise<string> {
    const { caseId } = store.openCase({ agentId: AGENT, serviceType: 'query' });
    const photo = readFileSync(testdata('faces/identities/joe_biden/02.jpg'));
    const evidence = store.addEvidence(caseId, { kind: 'id_photo', data: photo, actor: AGENT });
    store.append({ caseId, type: 'verification.event', actor: AGENT, payload: { type: 'id_photo.set', source: 'file', evidenceId: evidence.evidenceId, faces: 1, detection: 'full', faceFound: true, warnings: [] } });
    const summary = store.events(genuine).findLast((e) => e.type === 'case.closed')!.payload;
    return record(recordings, caseId, 'call-impostor00000001', webm, Date.now()).then(() => {
      store.closeCase(caseId, { verdict: 'verified', actor: AGENT, summary: summary.summary as Record<string, unknown> });
      return caseId;
    });
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vd-reanalysis-'));
    db = join(dir, 'cases.db');
    webmPath = join(dir, 'customer.webm');
    const idPath = join(dir, 'id_6_5s.jpg');
    ffmpeg(['-ss', '6.5', '-i', testdata('faces/video/live_blink_talk.mp4'), '-frames:v', '1', '-q:v', '2', idPath]);
    // like MediaRecorder: VP8 + Opus, live WebM (unknown sizes, no cues); small: 3 s at 320 px
    ffmpeg(['-ss', '2.33', '-i', testdata('faces/video/live_blink_talk.mp4'), '-t', '3', '-vf', 'scale=320:-2', '-c:v', 'libvpx', '-g', '30', '-b:v', '400k', '-deadline', 'realtime', '-cpu-used', '8', '-c:a', 'libopus', '-f', 'webm', '-live', '1', webmPath]);
    webm = readFileSync(webmPath);
    idPhoto = readFileSync(idPath);
    await engine.start();
    store = CaseStore.open({ path: db, keyProvider: new FileKeyProvider(`${db}.key`) });
    recordings = new RecordingService({ store, log: silentLogger });
    genuine = await callCase();
    impostor = await impostorCase();
  });
  afterAll(async () => {
    await engine.stop();
    store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('re-analyses the call: same person, a sane report beside the call\'s, the ID number never in it', async () => {
    const before = readdirSync(join(dir, 'recordings')).sort();
    const started = performance.now();
    first = ReanalysisResultSchema.parse(await reanalyzeCase({ store, recordings, engine, modelsDir }, genuine));
    console.info(`re-analysis of ${first.inputs.video.frames} frames: ${((performance.now() - started) / 1000).toFixed(2)} s`);
    // nothing decrypted was written next to the recordings
    expect(readdirSync(join(dir, 'recordings')).sort()).toEqual(before);

    expect(first.inputs).toMatchObject({ serviceType: 'query', video: { frames: 90, skippedFrames: 0, fps: 30, width: 320, height: 320 }, recorded: { device: true, idNumber: true, challenge: false, spokenCode: false } });
    expect(first.inputs.idPhoto).toMatchObject({ faces: 1, usable: true });
    const faceMatch = check(first, 'face_match');
    expect(faceMatch).toMatchObject({ status: 'pass', reason: 'match_band', band: 'match' });
    expect(faceMatch.score!).toBeGreaterThanOrEqual(first.reanalysis.thresholds.faceMatch.match);
    expect(check(first, 'presence')).toMatchObject({ status: 'pass', reason: 'single_face' });
    // the case's events hold no challenge and no spoken code: what the call said, not the offline 'no_case_events'
    expect(check(first, 'active_liveness')).toMatchObject({ status: 'not_run', reason: 'not_started' });
    expect(first.reanalysis.spokenCode).toEqual({ status: 'not_run', reason: 'not_issued' });
    // the birth date and gender from 'id.recorded' went in: id_consistency ran, as it did in the call
    expect(check(first, 'id_consistency').reason).not.toBe('no_id_number');
    expect(first.reanalysis.modelVersions.fr_feature).toBe(first.reanalysis.thresholds.faceMatch.modelSha256);
    // video time, not wall-clock time
    expect(first.reanalysis.frames.firstFaceAt!).toBeLessThan(3000);

    const original = first.original!;
    expect(original).toMatchObject({ source: 'closing_summary', serviceType: 'query', decision: 'pass' });
    expect(original.checks.find((c) => c.id === 'face_match')).toMatchObject({ status: 'pass', band: 'match' });
    expect(original.checks.find((c) => c.id === 'id_consistency')!.status).toBe(check(first, 'id_consistency').status);
    expect(original.thresholds).toEqual({ match: first.reanalysis.thresholds.faceMatch.match, mismatch: first.reanalysis.thresholds.faceMatch.mismatch });
    // the same person, the same video: the verdicts agree (a score may move: the call's is from when its status last changed)
    expect(first.differences.filter((d) => d.field !== 'score').map((d) => d.key)).toEqual([]);

    const json = reanalysisJson(first);
    expect(json).not.toContain(ID_NUMBER);
    expect(json).not.toMatch(/000000\d{8}00\d/);
  });

  it('`veridesk review --json` prints the same bytes as the function', () => {
    const cli = spawnSync(process.execPath, ['--import', 'tsx', 'src/main/cli/index.ts', 'review', genuine, '--db', db, '--json'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, VERIDESK_KEY_FILE: '' },
      timeout: 240_000,
    });
    expect(cli.stderr).toBe('');
    expect(cli.status).toBe(0);
    expect(cli.stdout.split('\n').filter(Boolean)).toHaveLength(1);
    expect(cli.stdout.trim()).toBe(reanalysisJson(first));
  }, 300_000);

  it('an impostor ID photo under the call\'s report: face_match differs, and the difference is listed', async () => {
    const r = await reanalyzeCase({ store, recordings, engine, modelsDir }, impostor);
    expect(check(r, 'face_match')).toMatchObject({ status: 'fail', reason: 'below_review', band: 'mismatch' });
    expect(r.reanalysis.advice).toBe('fail');
    const keys = r.differences.map((d) => d.key);
    expect(r.differences).toContainEqual(expect.objectContaining({ key: 'check.face_match.status', original: 'pass', reanalysis: 'fail', comparison: 'different' }));
    expect(r.differences).toContainEqual(expect.objectContaining({ key: 'advice', original: 'pass', reanalysis: 'fail' }));
    expect(keys).toContain('check.face_match.band');
    // the call's case log does not say which model files scored it: listed as not recorded, never as a difference
    expect(keys.some((k) => k.startsWith('model.'))).toBe(false);
  });

  it('a 15 fps recording with a stall: the real frame count, and the repeated frames of a resampling never seen as a frozen picture', async () => {
    // MediaRecorder under load: 15 fps and 0.5 s without a frame (1.2–1.7 s); the timestamps keep the gap
    const stalled = join(dir, 'stalled.webm');
    ffmpeg(['-ss', '2.33', '-i', testdata('faces/video/live_blink_talk.mp4'), '-t', '3', '-an', '-vf', "fps=15,scale=320:-2,select='not(between(t,1.2,1.7))'", '-fps_mode', 'passthrough', '-c:v', 'libvpx', '-g', '15', '-b:v', '400k', '-deadline', 'realtime', '-cpu-used', '8', '-f', 'webm', '-live', '1', stalled]);
    const probe = spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-count_frames', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', stalled], { encoding: 'utf8' });
    const real = Number(probe.stdout.trim());
    expect(real).toBeGreaterThan(30);
    const { caseId } = store.openCase({ agentId: AGENT, serviceType: 'query' });
    store.addEvidence(caseId, { kind: 'id_photo', data: idPhoto, actor: AGENT });
    await record(recordings, caseId, 'call-stalled000000001', readFileSync(stalled), Date.now());
    const r = await reanalyzeCase({ store, recordings, engine, modelsDir }, caseId);
    expect(r.inputs.video).toMatchObject({ frames: real, skippedFrames: 0 });
    const swap = check(r, 'face_swap');
    expect((swap.details!.signals as Array<{ id: string }>).find((s) => s.id === 'frozen')).toMatchObject({ status: 'pass', reason: 'moving' });
    expect(swap.reason).not.toBe('frozen_video');
    expect(check(r, 'face_match')).toMatchObject({ status: 'pass', band: 'match' });
  });

  it('a purged recording: a clear NOT_FOUND (function and CLI), no engine work', async () => {
    const purgeDir = mkdtempSync(join(tmpdir(), 'vd-reanalysis-purge-'));
    const purgeDb = join(purgeDir, 'cases.db');
    try {
      const later = CaseStore.open({ path: purgeDb, keyProvider: new FileKeyProvider(`${purgeDb}.key`) });
      const laterRecordings = new RecordingService({ store: later, log: silentLogger });
      const { caseId } = later.openCase({ agentId: AGENT, serviceType: 'query' });
      later.addEvidence(caseId, { kind: 'id_photo', data: idPhoto, actor: AGENT });
      await record(laterRecordings, caseId, 'call-purged0000000001', webm, Date.now());
      later.closeCase(caseId, { verdict: 'verified', actor: AGENT });
      later.close();
      // retention, run a day later with a 0-day policy
      const purging = CaseStore.open({ path: purgeDb, keyProvider: new FileKeyProvider(`${purgeDb}.key`), now: () => Date.now() + 86_400_000 });
      expect(purging.purgeBiometrics(0)).toMatchObject({ recordingsPurged: 1, evidencePurged: 1 });
      const error = await failure(reanalyzeCase({ store: purging, recordings: new RecordingService({ store: purging, log: silentLogger }), engine: null }, caseId));
      purging.close();
      expect(error.code).toBe('NOT_FOUND');
      expect(refusalOf(error.message)).toBe('recording_purged');
      expect(error.message).toMatch(/was purged by retention \(0-day policy\) on \d{4}-\d{2}-\d{2}T.*cannot be re-analysed/);

      const cli = spawnSync(process.execPath, ['--import', 'tsx', 'src/main/cli/index.ts', 'review', caseId, '--db', purgeDb, '--json'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, VERIDESK_KEY_FILE: '' } });
      expect(cli.status).toBe(2);
      expect(JSON.parse(cli.stdout)).toEqual({ error: { code: 'NOT_FOUND', message: error.message } });
    } finally {
      rmSync(purgeDir, { recursive: true, force: true });
    }
  }, 120_000);
});
