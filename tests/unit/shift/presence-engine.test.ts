/**
 * The shift's face check with the REAL face engine (ONNX models in the engine process) on real photos and a real
 * video from ../shared/testdata: the agent enrolled with a photo of the person in live_blink_talk passes on frames of
 * that video; enrolled as someone else, the same frames fail; two people in the picture are several_faces; an empty
 * picture is no_face. The score is held against the calibrated threshold of models/calibration.json, recorded with
 * the model's sha256. Skips only when models/ has not been fetched (`npm run models`).
 */
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/main/log/logger';
import { defaultModelsDir, modelsPresent } from '../../../src/main/engine/manifest';
import { EngineService } from '../../../src/main/engine/service';
import { SHIFT_MESSAGES } from '../../../src/main/shift/shift-service';
import { testdata } from '../../support/testdata';
import { videoFrames } from '../engine/support/video-frames';
import { harness, type Harness } from './shift-support';

const modelsDir = defaultModelsDir();
const haveModels = modelsPresent(modelsDir);
if (!haveModels) console.warn(`shift face-check engine tests skipped: models missing in ${modelsDir} — run \`npm run models\``);

const photo = (p: string) => readFileSync(testdata(p));
const b64 = (b: Buffer) => b.toString('base64');

describe.skipIf(!haveModels)('shift face check on the real engine', () => {
  const engine = new EngineService({ logger: silentLogger, modelsDir, restartDelayMs: 50 });
  /** Frames 10, 30 and 50 of the person's video (640×480), as the renderer sends them: JPEG stills. */
  let liveFrames: string[];
  let twoPeople: Buffer;
  let empty: Buffer;
  let h: Harness;

  beforeAll(async () => {
    await engine.start();
    const frames = await videoFrames(51);
    liveFrames = await Promise.all([10, 30, 50].map(async (i) => b64(await sharp(Buffer.from(frames[i]!.rgba), { raw: { width: frames[i]!.width, height: frames[i]!.height, channels: 4 } }).jpeg({ quality: 85 }).toBuffer())));
    // two real people side by side in one picture
    const left = await sharp(photo('faces/identities/barack_obama/01.jpg')).resize(320, 400, { fit: 'cover' }).toBuffer();
    const right = await sharp(photo('faces/identities/joe_biden/02.jpg')).resize(320, 400, { fit: 'cover' }).toBuffer();
    twoPeople = await sharp({ create: { width: 640, height: 400, channels: 3, background: '#808080' } })
      .composite([
        { input: left, left: 0, top: 0 },
        { input: right, left: 320, top: 0 },
      ])
      .jpeg({ quality: 85 })
      .toBuffer();
    empty = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#6a6a6a' } }).jpeg().toBuffer();
  }, 120_000);
  afterAll(async () => {
    await engine.stop();
  });
  beforeEach(() => {
    h = harness({ engine, faceCheck: { enabled: true, minIntervalMin: 10, maxIntervalMin: 20 } });
  });
  afterEach(() => h.close());

  it('enrolled with the person of the video, frames of that video pass against the calibrated threshold', async () => {
    for (const f of liveFrames) expect(Buffer.from(f, 'base64').length).toBeLessThan(160 * 1024);
    await h.service.enrol('agent-7', b64(photo('faces/video/still-photo-attack_source.jpg')));
    const status = await h.service.signIn('agent-7', liveFrames);
    const calibration = engine.getCalibration();
    expect(status.shift).toMatchObject({ agentId: 'agent-7' });
    expect(status.lastCheck).toMatchObject({ kind: 'sign_in', result: 'pass', band: 'match', threshold: calibration.matchThreshold, modelSha256: calibration.modelSha256, facesPerFrame: [1, 1, 1] });
    expect(status.lastCheck!.score!).toBeGreaterThanOrEqual(calibration.matchThreshold);
    // recorded in the shift's log with its score and threshold
    const [check] = h.log.events(status.shift!.shiftId).filter((e) => e.type === 'shift.face_check');
    expect(check!.payload).toMatchObject({ result: 'pass', score: status.lastCheck!.score, threshold: calibration.matchThreshold });
  }, 60_000);

  it('enrolled as another person, the same frames fail and the shift is refused', async () => {
    await h.service.enrol('agent-7', b64(photo('faces/identities/barack_obama/01.jpg')));
    await expect(h.service.signIn('agent-7', liveFrames)).rejects.toMatchObject({ code: 'FORBIDDEN', message: SHIFT_MESSAGES.refused.fail });
    const [attempt] = h.service.history();
    const calibration = engine.getCalibration();
    expect(attempt).toMatchObject({ endReason: 'sign_in_refused', checks: [{ result: 'fail', threshold: calibration.matchThreshold, facesPerFrame: [1, 1, 1] }] });
    expect(attempt!.checks[0]!.score!).toBeLessThan(calibration.matchThreshold);
  }, 60_000);

  it('two people in the picture are several_faces, an empty picture is no_face', async () => {
    await h.service.enrol('agent-7', b64(photo('faces/video/still-photo-attack_source.jpg')));
    await expect(h.service.signIn('agent-7', [liveFrames[0]!, b64(twoPeople)])).rejects.toMatchObject({ message: SHIFT_MESSAGES.refused.several_faces });
    await expect(h.service.signIn('agent-7', [b64(empty)])).rejects.toMatchObject({ message: SHIFT_MESSAGES.refused.no_face });
    expect(h.service.history().map((s) => s.checks[0]!.result)).toEqual(['no_face', 'several_faces']);
  }, 60_000);

  it('enrolment needs exactly one face in a real image, and stores nothing otherwise', async () => {
    await expect(h.service.enrol('agent-7', b64(twoPeople))).rejects.toMatchObject({ code: 'INVALID_INPUT', message: SHIFT_MESSAGES.enrolFaces(2) });
    await expect(h.service.enrol('agent-7', b64(empty))).rejects.toMatchObject({ code: 'INVALID_INPUT', message: SHIFT_MESSAGES.enrolFaces(0) });
    await expect(h.service.enrol('agent-7', b64(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>')))).rejects.toMatchObject({ code: 'CORRUPT_INPUT' });
    expect(h.enrolments.info('agent-7')).toBeNull();
    const enrolled = await h.service.enrol('agent-7', b64(photo('faces/identities/barack_obama/01.jpg')));
    expect(enrolled).toMatchObject({ agentId: 'agent-7', modelSha256: engine.getCalibration().modelSha256 });
    expect(h.service.status().enrolment).toMatchObject({ agentId: 'agent-7' });
  }, 60_000);
});
