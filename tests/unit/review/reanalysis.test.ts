/**
 * Re-analysis without the models (fast): the comparison rows, the call's report read back from what the real
 * DeskService writes, the call's recorded facts (ID number stand-in, times on the video's clock, challenge and
 * spoken-code outcomes, the hand-over-face request), the refusals, and the whole path on a real encrypted WebM
 * recording decoded through ffmpeg's stdin with a scripted engine (needs ffmpeg; the real engine is in
 * reanalysis.integration.test.ts).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CaseEvent } from '../../../src/shared/cases';
import type { FrameAnalysis } from '../../../src/shared/engine';
import { AppFailure } from '../../../src/shared/errors';
import type { Frame } from '../../../src/shared/frame';
import { ageOn, idCheckDigit, parseIdNumber } from '../../../src/shared/id-number';
import { comparisonRows, differencesOf, refusalOf, refusalMessage, type OriginalReport } from '../../../src/shared/reanalysis';
import type { VerificationEvent, VerificationReport } from '../../../src/shared/verification';
import { StaticKeyProvider } from '../../../src/main/caselog/key-provider';
import { CaseStore } from '../../../src/main/caselog/store';
import { DeskService, type ActiveCall } from '../../../src/main/desk/desk-service';
import type { EngineService } from '../../../src/main/engine/service';
import { openVideoStream } from '../../../src/main/engine/video';
import { silentLogger } from '../../../src/main/log/logger';
import { RecordingService } from '../../../src/main/recording/recording-service';
import { reanalysisJson, reanalyzeCase } from '../../../src/main/review/reanalysis';
import { originalReport } from '../../../src/main/review/reanalysis-original';
import { idNumberStandIn, toVideoTime, withCallOutcomes } from '../../../src/main/review/reanalysis-recorded';
import { VerificationSession } from '../../../src/main/verification/session';
import { testdata } from '../../support/testdata';
import { calibration, frame, frames, identity, idPhoto, sample } from '../verification/builder';

const haveFfmpeg = spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).status === 0;
const haveFfprobe = spawnSync('ffprobe', ['-version'], { stdio: 'ignore' }).status === 0;
const AGENT = 'agent-7';
const PERSON = identity(1);
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 1, 2, 3]);
const CLAIMED_AGE = ageOn('1949-12-31', new Date());
const ID_NUMBER = (() => {
  const first17 = '11010519491231002';
  return first17 + idCheckDigit(first17);
})();

/** An offline report of synthetic frames: the person (or another one) for 3 s. */
function report(embeddingOf: (i: number) => number[] = (i) => sample(PERSON, i)): VerificationReport {
  let now = 0;
  const s = new VerificationSession({ serviceType: 'query', calibration: calibration(), mode: 'offline', streamId: 'call-test', clock: { now: () => now } });
  s.setIdPhoto(idPhoto(PERSON));
  for (const f of frames(0, 3000, (_t, i) => (i % 6 === 0 ? { embedding: embeddingOf(i) } : {}))) {
    now = f.capturedAt;
    s.onFrame(f);
  }
  return s.report();
}

function originalOf(r: VerificationReport, patch: Partial<OriginalReport> = {}): OriginalReport {
  return {
    source: 'closing_summary',
    serviceType: r.serviceType,
    advice: r.advice,
    decision: 'pass',
    against: false,
    checks: r.checks.map((c) => ({ id: c.id, status: c.status, reason: c.reason, ...(c.score === undefined ? {} : { score: c.score }), ...(c.band ? { band: c.band } : {}) })),
    spokenCode: { status: r.spokenCode.status, reason: r.spokenCode.reason },
    modelVersions: null,
    thresholds: { match: r.thresholds.faceMatch.match, mismatch: r.thresholds.faceMatch.mismatch },
    ...patch,
  };
}

describe('comparison rows', () => {
  const r = report();

  it('the same report: every row same, model files not recorded, nothing listed', () => {
    const rows = comparisonRows(originalOf(r), r);
    expect(rows[0]).toMatchObject({ key: 'advice', comparison: 'same' });
    expect(rows.find((x) => x.key === 'check.face_match.score')).toMatchObject({ comparison: 'same' });
    expect(rows.filter((x) => x.group === 'model')).toEqual([expect.objectContaining({ key: 'model.fr_feature', original: null, reanalysis: 'a'.repeat(64), comparison: 'not_recorded' })]);
    expect(differencesOf(originalOf(r), r)).toEqual([]);
  });

  it('a changed status, a score beyond float noise and a moved threshold are differences; noise is not', () => {
    const face = r.checks.find((c) => c.id === 'face_match')!;
    const noisy = originalOf(r, { checks: originalOf(r).checks.map((c) => (c.id === 'face_match' ? { ...c, score: face.score! + 0.0003 } : c)) });
    expect(differencesOf(noisy, r)).toEqual([]);
    const other = originalOf(r, {
      advice: 'fail',
      checks: originalOf(r).checks.map((c) => (c.id === 'face_match' ? { ...c, status: 'fail', reason: 'below_review', band: 'mismatch', score: 0.1 } : c)),
      thresholds: { match: r.thresholds.faceMatch.match + 0.0003, mismatch: r.thresholds.faceMatch.mismatch },
    });
    expect(differencesOf(other, r).map((d) => d.key)).toEqual(['advice', 'check.face_match.status', 'check.face_match.reason', 'check.face_match.score', 'check.face_match.band', 'threshold.match']);
    expect(differencesOf(other, r)[1]).toMatchObject({ group: 'check', check: 'face_match', field: 'status', original: 'fail', reanalysis: 'pass' });
  });

  it('no original report: nothing to compare', () => {
    expect(comparisonRows(null, r)).toEqual([]);
  });

  it('refusals carry their reason word, other messages none', () => {
    expect(refusalOf(refusalMessage('recording_purged', 'gone'))).toBe('recording_purged');
    expect(refusalOf('case x does not exist')).toBeNull();
    expect(refusalOf('spoof: x')).toBeNull();
  });
});

describe('recorded facts', () => {
  it('the ID number stand-in has the recorded birth date and gender, and is valid', () => {
    const event = { type: 'id.recorded', payload: { birthDate: '1949-12-31', gender: 'female', idNumberMasked: 'x' } } as unknown as CaseEvent;
    const standIn = idNumberStandIn([event])!;
    expect(parseIdNumber(standIn)).toMatchObject({ valid: true, birthDate: '1949-12-31', gender: 'female' });
    expect(standIn).not.toBe(ID_NUMBER);
    expect(idNumberStandIn([])).toBeNull();
  });

  it('event times move onto the video clock; outcomes follow the call', () => {
    const t0 = 1_770_000_000_000;
    const ref = { streamId: 'call-x', capturedAt: t0 + 1500, kind: 'challenge_step' as const };
    const events: VerificationEvent[] = [
      { type: 'challenge.started', at: t0 + 1000, challengeId: 'challenge-1', actions: ['blink'], stepTimeoutMs: 5000, attempt: 1 },
      { type: 'challenge.step_passed', at: t0 + 1600, challengeId: 'challenge-1', index: 0, action: 'blink', evidence: [ref] },
      { type: 'challenge.finished', at: t0 + 1700, challengeId: 'challenge-1', status: 'passed', reason: 'challenge_passed' },
      { type: 'spoken_code.issued', at: t0 + 2000, code: '0427' },
      { type: 'spoken_code.confirmed', at: t0 + 2500, ok: true },
    ].map((e) => toVideoTime(e as VerificationEvent, t0));
    const r = withCallOutcomes(report(), events);
    expect(r.checks.find((c) => c.id === 'active_liveness')).toMatchObject({ status: 'pass', reason: 'challenge_passed', evidence: [{ ...ref, capturedAt: 1500 }] });
    expect(r.spokenCode).toEqual({ status: 'pass', reason: 'confirmed', code: '0427', issuedAt: 2000, confirmedAt: 2500 });

    const none = withCallOutcomes(report(), []);
    expect(none.checks.find((c) => c.id === 'active_liveness')).toMatchObject({ status: 'not_run', reason: 'not_started' });
    expect(none.spokenCode).toEqual({ status: 'not_run', reason: 'not_issued' });
    const unfinished = withCallOutcomes(report(), events.slice(0, 2).concat(events[3]!));
    expect(unfinished.checks.find((c) => c.id === 'active_liveness')).toMatchObject({ status: 'pending', reason: 'challenge_running' });
    expect(unfinished.spokenCode).toEqual({ status: 'pending', reason: 'awaiting_confirmation', code: '0427', issuedAt: 2000 });
  });
});

describe('the case log', () => {
  let dir: string;
  let store: CaseStore;
  let recordings: RecordingService;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'vd-reanalysis-unit-'));
    store = CaseStore.open({ path: join(dir, 'cases.db'), keyProvider: new StaticKeyProvider(Buffer.alloc(32, 5)) });
    recordings = new RecordingService({ store, log: silentLogger });
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A call through the real desk with synthetic engine results; the customer's frames stamped from t0. */
  async function deskCall(t0: number, decide = true): Promise<string> {
    const { caseId } = store.openCase({ agentId: AGENT, serviceType: 'query' });
    const call: ActiveCall = { callId: 'call-abcdef0123456789', caseId, streamId: 'call-test', serviceType: 'query', closed: false };
    const desk = new DeskService({
      engine: { analyzeImage: async () => idPhoto(PERSON), getCalibration: () => calibration() },
      store,
      activeCall: () => call,
      device: () => null,
      scripts: () => [],
      agentId: () => AGENT,
      emit: () => {},
      log: silentLogger,
    });
    await desk.setIdPhoto(call.callId, JPEG.toString('base64'), 'file');
    desk.setIdInfo(call.callId, '张三丰', ID_NUMBER);
    for (const f of frames(t0, t0 + 3000, (_t, i) => (i % 6 === 0 ? { embedding: sample(PERSON, i) } : {}))) desk.onAnalysis(f);
    if (decide) desk.decide(call.callId, 'pass', undefined, undefined);
    desk.close();
    return caseId;
  }

  it("reads the call's report from the closing summary, scores from the check events", async () => {
    const caseId = await deskCall(Date.now());
    const original = originalReport('query', store.events(caseId))!;
    expect(original).toMatchObject({ source: 'closing_summary', advice: 'pass', decision: 'pass', against: false, spokenCode: { status: 'not_run', reason: 'not_issued' }, thresholds: { match: 0.5, mismatch: 0.2 } });
    // the desk records the model files it decided with (here the calibration's feature model)
    expect(original.modelVersions).toEqual(expect.objectContaining({ fr_feature: expect.any(String) }));
    const face = original.checks.find((c) => c.id === 'face_match')!;
    expect(face).toMatchObject({ status: 'pass', reason: 'match_band', band: 'match' });
    expect(face.score).toBeCloseTo(0.9, 1);
    expect(original.checks.map((c) => c.id)).toEqual(['face_match', 'passive_liveness', 'active_liveness', 'face_swap', 'presence', 'id_consistency', 'quality']);
  });

  it('without a decision: the last verification events; without any: none', async () => {
    const caseId = await deskCall(Date.now(), false);
    const original = originalReport('query', store.events(caseId))!;
    expect(original).toMatchObject({ source: 'verification_events', advice: 'pass', decision: null });
    expect(original.checks.find((c) => c.id === 'face_match')).toMatchObject({ status: 'pass' });
    // a check that never changed in the call was never written
    expect(original.checks.find((c) => c.id === 'active_liveness')).toBeUndefined();
    const { caseId: bare } = store.openCase({ agentId: AGENT, serviceType: 'query' });
    expect(originalReport('query', store.events(bare))).toBeNull();
  });

  it('refuses: unknown case, no recording, no ID photo, a purged ID photo, the engine not ready', async () => {
    const deps = { store, recordings, engine: null };
    const code = async (caseId: string) => {
      const error = await reanalyzeCase(deps, caseId).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(AppFailure);
      return `${(error as AppFailure).code} ${refusalOf((error as AppFailure).message)}`;
    };
    expect(await code('no-such-case')).toBe('NOT_FOUND null');
    const { caseId } = store.openCase({ agentId: AGENT, serviceType: 'query' });
    expect(await code(caseId)).toBe('NOT_FOUND no_recording');
    const { recordingId } = recordings.start({ caseId, callId: 'call-unit000000000001', track: 'customer', mimeType: 'video/webm', startedAt: Date.now(), actor: AGENT });
    recordings.appendChunk(recordingId, 0, Buffer.from('not really a webm'));
    expect(await code(caseId)).toBe('NOT_FOUND no_id_photo');
    store.addEvidence(caseId, { kind: 'id_photo', data: JPEG, actor: AGENT });
    expect(await code(caseId)).toBe('UNAVAILABLE engine_not_ready');
    const starting = { ...deps, engine: { status: () => ({ state: 'starting', provider: null, restarts: 0 }) } as unknown as EngineService };
    expect(await reanalyzeCase(starting, caseId).catch((e: AppFailure) => e.message)).toMatch(/^engine_not_ready: the face engine is starting/);
    const later = CaseStore.open({ path: join(dir, 'cases.db'), keyProvider: new StaticKeyProvider(Buffer.alloc(32, 5)), now: () => Date.now() + 86_400_000 });
    try {
      later.db.prepare("UPDATE evidence SET created_at = 0 WHERE kind = 'id_photo'").run();
      later.purgeBiometrics(1);
    } finally {
      later.close();
    }
    expect(await code(caseId)).toBe('NOT_FOUND id_photo_purged');
  });

  describe.skipIf(!haveFfmpeg)('on a real encrypted WebM, with a scripted engine', () => {
    /** 3 s of ffmpeg's test pattern at 15 fps, VP8 like MediaRecorder's. */
    const webm = () =>
      execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=15', '-t', '3', '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-f', 'webm', '-live', '1', '-'], { maxBuffer: 16 << 20 });

    /** The person on every frame, a key frame every 200 ms; no face while the hand covers it (1.4–1.8 s). */
    function scriptedEngine(seen: Frame[]): EngineService {
      return {
        status: () => ({ state: 'ready', provider: 'cpu', restarts: 0 }),
        getCalibration: () => calibration(),
        analyzeImage: async () => idPhoto(PERSON),
        analyzeFrame: async (f: Frame): Promise<FrameAnalysis> => {
          seen.push({ ...f, rgba: new Uint8Array(0) });
          const i = Math.round(f.capturedAt / (1000 / 30));
          const hand = f.capturedAt >= 1400 && f.capturedAt < 1800;
          // estimates that move a little (the session counts a repeated value once): the claimed age, a woman
          return frame({ t: f.capturedAt, streamId: f.streamId, face: !hand, ...(i % 6 === 0 && !hand ? { embedding: sample(PERSON, i) } : {}), age: CLAIMED_AGE + (i % 4) * 0.2, male: 0.1 + (i % 4) * 0.01 });
        },
        releaseStream: () => {},
        whenReady: async () => {},
      } as unknown as EngineService;
    }

    it('decodes through stdin frame for frame, replays the call, and gives the same bytes twice', async () => {
      const t0 = Date.now();
      const caseId = await (async () => {
        const { caseId } = store.openCase({ agentId: AGENT, serviceType: 'query' });
        const { recordingId } = recordings.start({ caseId, callId: 'call-unit000000000002', track: 'customer', mimeType: 'video/webm', startedAt: t0, actor: AGENT });
        const bytes = webm();
        for (let seq = 0, at = 0; at < bytes.length; seq++, at += 20_000) recordings.appendChunk(recordingId, seq, bytes.subarray(at, at + 20_000));
        await recordings.stop(recordingId);
        return caseId;
      })();
      const evidence = store.addEvidence(caseId, { kind: 'id_photo', data: JPEG, actor: AGENT });
      store.append({ caseId, type: 'verification.event', actor: AGENT, payload: { type: 'id_photo.set', source: 'file', evidenceId: evidence.evidenceId } });
      store.recordIdNumber(caseId, { idNumber: ID_NUMBER, actor: AGENT, payload: { birthDate: '1949-12-31', gender: 'female' } });
      store.append({ caseId, type: 'device.reported', actor: 'customer', payload: { videoLabel: 'OBS Virtual Camera', virtualCamera: 'obs', platform: 'pc' } });
      store.append({ caseId, type: 'verification.event', actor: 'system', payload: { type: 'occlusion_test.started', at: t0 + 1000, deadline: t0 + 9000 } });

      const seen: Frame[] = [];
      const engine = scriptedEngine(seen);
      const first = await reanalyzeCase({ store, recordings, engine }, caseId);
      // the recording's own 45 frames at their own times (WebM timestamps are whole ms), none repeated
      expect(seen).toHaveLength(45);
      expect(seen.slice(0, 4).map((f) => f.capturedAt)).toEqual([0, 67, 133, 200]);
      expect(new Set(seen.map((f) => f.streamId))).toEqual(new Set(['reanalysis']));
      expect(first.inputs).toMatchObject({ date: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/), video: { frames: 45, fps: 15, width: 160, height: 120 }, recorded: { device: true, idNumber: true, occlusionTests: 1 } });
      expect(first.original).toBeNull();
      expect(first.differences).toEqual([]);
      const swap = first.reanalysis.checks.find((c) => c.id === 'face_swap')!;
      const signals = swap.details!.signals as Array<{ id: string; status: string; reason: string }>;
      // the device report's virtual-camera marker, and the hand over the face asked for at 1.0 s of video
      expect(signals.find((s) => s.id === 'virtual_camera')).toMatchObject({ status: 'warn' });
      expect(signals.find((s) => s.id === 'occlusion')).toMatchObject({ status: 'pass', reason: 'occlusion_seen' });
      // the stand-in gave id_consistency its birth date and gender
      expect(first.reanalysis.checks.find((c) => c.id === 'id_consistency')).toMatchObject({ status: 'pass', reason: 'consistent' });
      const json = reanalysisJson(first);
      expect(json).not.toContain(String(t0).slice(0, 8));
      expect(reanalysisJson(await reanalyzeCase({ store, recordings, engine: scriptedEngine([]) }, caseId))).toBe(json);
    });

    /**
     * A MediaRecorder-like WebM of a real face video: 15 fps, VP8, with a 0.5 s stall (1.2–1.7 s: no frames, the
     * timestamps jump, as when the encoder falls behind).
     */
    const stalledWebm = () =>
      execFileSync(
        'ffmpeg',
        [
          '-v', 'error', '-i', testdata('faces/video/live_blink_talk.mp4'), '-t', '4', '-an',
          '-vf', "fps=15,scale=240:240,select='not(between(t,1.2,1.7))'", '-fps_mode', 'passthrough',
          '-c:v', 'libvpx', '-g', '15', '-b:v', '250k', '-deadline', 'realtime', '-cpu-used', '8', '-f', 'webm', '-live', '1', '-',
        ],
        { maxBuffer: 64 << 20 },
      );

    /** The recording's real frames and their times (ms), as ffprobe reads them from the bytes. */
    const probeFrames = (bytes: Buffer): number[] =>
      execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=pts_time', '-of', 'csv=p=0', '-i', 'pipe:0'], { input: bytes, maxBuffer: 16 << 20 })
        .toString()
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => Math.round(Number(l.split(',')[0]) * 1000));

    /** FNV-1a over a sample of the picture: the same bytes, the same value. */
    function pictureHash(rgba: Uint8Array): number {
      let h = 0x811c9dc5;
      for (let i = 0; i < rgba.length; i += 61) h = Math.imul(h ^ rgba[i]!, 0x01000193) >>> 0;
      return h;
    }

    /**
     * Landmarks that follow the picture, like the real engine's: a repeated (byte-identical) frame gives exactly
     * the previous landmarks, a new one moves them by a camera's sub-pixel jitter. A key frame every 3rd frame.
     */
    function pictureEngine(seen: Array<{ capturedAt: number; picture: number }>): EngineService {
      return {
        status: () => ({ state: 'ready', provider: 'cpu', restarts: 0 }),
        getCalibration: () => calibration(),
        analyzeImage: async () => idPhoto(PERSON),
        analyzeFrame: async (f: Frame): Promise<FrameAnalysis> => {
          const picture = pictureHash(f.rgba);
          const i = seen.length;
          seen.push({ capturedAt: f.capturedAt, picture });
          const a = frame({ t: f.capturedAt, streamId: f.streamId, moving: false, ...(i % 3 === 0 ? { embedding: sample(PERSON, i) } : {}) });
          const phase = (picture % 10_000) / 100;
          a.primary!.landmarks = (a.primary!.landmarks ?? []).map(([x, y], k) => [x + 0.4 * Math.sin(phase + k), y + 0.4 * Math.cos(phase + k)]);
          return a;
        },
        releaseStream: () => {},
        whenReady: async () => {},
      } as unknown as EngineService;
    }

    it.skipIf(!haveFfprobe)("a 15 fps recording with a stall: its own frames, once each, at their own times; no 'frozen' picture", async () => {
      const bytes = stalledWebm();
      const real = probeFrames(bytes);
      // the stall is in the recording: one gap of ~0.6 s between two frames
      expect(Math.max(...real.slice(1).map((t, i) => t - real[i]!))).toBeGreaterThan(500);
      const { caseId } = store.openCase({ agentId: AGENT, serviceType: 'query' });
      const { recordingId } = recordings.start({ caseId, callId: 'call-unit000000000003', track: 'customer', mimeType: 'video/webm', startedAt: Date.now(), actor: AGENT });
      for (let seq = 0, at = 0; at < bytes.length; seq++, at += 20_000) recordings.appendChunk(recordingId, seq, bytes.subarray(at, at + 20_000));
      await recordings.stop(recordingId);
      store.addEvidence(caseId, { kind: 'id_photo', data: JPEG, actor: AGENT });

      const seen: Array<{ capturedAt: number; picture: number }> = [];
      const result = await reanalyzeCase({ store, recordings, engine: pictureEngine(seen) }, caseId);
      // the real frame count (not twice it, no stall filled in), each at its presentation time
      expect(seen.map((f) => f.capturedAt)).toEqual(real.map((t) => t - real[0]!));
      expect(result.inputs.video).toMatchObject({ frames: real.length, skippedFrames: 0, width: 240, height: 240 });
      expect(result.inputs.video.fps).toBeCloseTo((real.length - 1) / ((real.at(-1)! - real[0]!) / 1000), 2);
      // no frame analysed twice: no two neighbours are the same picture
      expect(seen.filter((f, i) => i > 0 && f.picture === seen[i - 1]!.picture)).toEqual([]);
      const swap = result.reanalysis.checks.find((c) => c.id === 'face_swap')!;
      const signals = swap.details!.signals as Array<{ id: string; status: string; reason: string }>;
      expect(signals.find((s) => s.id === 'frozen')).toMatchObject({ status: 'pass', reason: 'moving' });
      expect(swap.reason).not.toBe('frozen_video');
      expect(swap.status).toBe('pass');
    });

    it('openVideoStream: a stream that is not video is CORRUPT_INPUT', async () => {
      const { frames, close } = openVideoStream(Readable.from([Buffer.from('definitely not a webm file')]), 640, { label: 'the recording' });
      try {
        const error = await (async () => {
          for await (const _ of frames) void _;
        })().then(
          () => null,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(AppFailure);
        expect((error as AppFailure).code).toBe('CORRUPT_INPUT');
        expect((error as AppFailure).message).toMatch(/the recording/);
      } finally {
        close();
      }
    });
  });
});
