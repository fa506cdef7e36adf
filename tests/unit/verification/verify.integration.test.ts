/**
 * The verification session on real media with the real engine and models (offline, deterministic):
 * genuine = an ID photo cut from live_blink_talk.mp4 at 6.5 s against the 2 s y4m cut of the same video (2.33–4.33 s);
 * impostor = joe_biden/02.jpg against that video; the still-photo attack y4m.
 * Skips when models/ has not been fetched (`npm run models`) or ffmpeg is missing (to cut the ID frame).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { QaSummarySchema, qaSummary, type VerificationReport } from '../../../src/shared/verification';
import { registerVerifyCommand } from '../../../src/main/cli/verify-command';
import { defaultModelsDir, modelsPresent } from '../../../src/main/engine/manifest';
import { EngineService } from '../../../src/main/engine/service';
import { silentLogger } from '../../../src/main/log/logger';
import { advise } from '../../../src/main/verification/advice';
import { verifyVideo } from '../../../src/main/verification/offline';
import { testdata } from '../../support/testdata';

const modelsDir = defaultModelsDir();
const haveModels = modelsPresent(modelsDir);
const haveFfmpeg = spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).status === 0;
if (!haveModels) console.warn(`verification integration tests skipped: models missing in ${modelsDir} — run \`npm run models\``);
else if (!haveFfmpeg) console.warn('verification integration tests skipped: ffmpeg not on PATH (needed to cut the ID frame)');

const check = (r: VerificationReport, id: string) => r.checks.find((c) => c.id === id)!;

describe.skipIf(!haveModels || !haveFfmpeg)('verify on real media (engine process, offline)', () => {
  const engine = new EngineService({ logger: silentLogger, modelsDir });
  let dir = '';
  let idFrame = '';
  const genuineVideo = testdata('faces/video/live_blink_talk_640x480.y4m');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'veridesk-verify-'));
    idFrame = join(dir, 'id_6_5s.jpg');
    const cut = spawnSync('ffmpeg', ['-v', 'error', '-nostdin', '-y', '-ss', '6.5', '-i', testdata('faces/video/live_blink_talk.mp4'), '-frames:v', '1', '-q:v', '2', idFrame]);
    if (cut.status !== 0) throw new Error(`ffmpeg could not cut the ID frame: ${cut.stderr.toString()}`);
    await engine.start();
  });
  afterAll(async () => {
    await engine.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('genuine: the same person 2–4 s earlier matches (band match), passive checks pass; transact still needs the challenge', async () => {
    const { report, frames } = await verifyVideo(engine, { idPhoto: readFileSync(idFrame), video: genuineVideo, serviceType: 'transact', modelsDir });
    expect(frames).toBe(60);
    expect(check(report, 'face_match')).toMatchObject({ status: 'pass', reason: 'match_band', band: 'match' });
    expect(check(report, 'face_match').score!).toBeGreaterThanOrEqual(report.thresholds.faceMatch.match);
    expect(check(report, 'passive_liveness')).toMatchObject({ status: 'pass', reason: 'live' });
    expect(check(report, 'face_swap')).toMatchObject({ status: 'pass', reason: 'no_signals' });
    expect(check(report, 'presence')).toMatchObject({ status: 'pass', reason: 'single_face' });
    expect(check(report, 'active_liveness')).toMatchObject({ status: 'not_run', reason: 'no_case_events' });
    expect(report.spokenCode).toEqual({ status: 'not_run', reason: 'no_case_events' });
    expect(report.advice).toBe('review');
    expect(advise('query', report.checks, report.spokenCode).advice).toBe('pass');
    // a verdict for a cooperative customer within 5 s of the face appearing (DESIGN.md §10), in video time
    expect(report.frames.verdictAt! - report.frames.firstFaceAt!).toBeLessThan(5000);
    expect(check(report, 'face_match').evidence!.length).toBeGreaterThan(0);
    expect(report.modelVersions.fr_feature).toBe(report.thresholds.faceMatch.modelSha256);
  });

  it('impostor: another person is in the mismatch band and the advice is fail', async () => {
    const { report } = await verifyVideo(engine, { idPhoto: readFileSync(testdata('faces/identities/joe_biden/02.jpg')), video: genuineVideo, serviceType: 'query' });
    expect(check(report, 'face_match')).toMatchObject({ status: 'fail', reason: 'below_review', band: 'mismatch' });
    expect(report.advice).toBe('fail');
  });

  it('still photo: passive liveness is reported (the model calls it live), the frozen video is flagged, it does not pass', async () => {
    const { report } = await verifyVideo(engine, { idPhoto: readFileSync(idFrame), video: testdata('faces/video/still-photo-attack.y4m'), serviceType: 'transact' });
    const passive = check(report, 'passive_liveness');
    expect(passive.status).not.toBe('pending');
    expect(passive.score).toBeTypeOf('number');
    expect(check(report, 'face_swap')).toMatchObject({ status: 'warn', reason: 'frozen_video' });
    expect(report.advice).not.toBe('pass');
    expect(advise('operate', report.checks, { status: 'pass', reason: 'confirmed' }).advice).not.toBe('pass');
  });

  it('`veridesk verify --json` prints one QA line, the same bytes on every run', async () => {
    const run = async () => {
      const lines: string[] = [];
      const spy = vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
      try {
        const program = new Command().exitOverride();
        registerVerifyCommand(program);
        await program.parseAsync(['node', 'veridesk', 'verify', '--id', idFrame, '--video', testdata('faces/video/still-photo-attack.y4m'), '--json', '--service', 'query']);
      } finally {
        spy.mockRestore();
      }
      return lines;
    };
    const first = await run();
    expect(first).toHaveLength(1);
    const summary = QaSummarySchema.parse(JSON.parse(first[0]!));
    expect(summary).toMatchObject({ serviceType: 'query', challenge: { status: 'not_run', reason: 'no_case_events' } });
    expect(summary.checks.map((c) => c.id)).toEqual(['face_match', 'passive_liveness', 'active_liveness', 'face_swap', 'presence', 'id_consistency', 'quality']);
    // the same through the library on this test's engine
    const { report } = await verifyVideo(engine, { idPhoto: readFileSync(idFrame), video: testdata('faces/video/still-photo-attack.y4m'), serviceType: 'query' });
    expect(JSON.stringify(qaSummary(report))).toBe(first[0]);
    expect(await run()).toEqual(first);
  });
});
