/**
 * `npm run bench:verify [-- --json]`: the verification session on the test videos (offline, every frame, the engine
 * process as the app uses it):
 *  - time from the face appearing to the passive verdict (face match, passive liveness, presence and face-swap
 *    screening settled; no challenge), in video time — what a live call sees when the engine keeps up — and the
 *    processing time until that frame;
 *  - `verify` processing time per video second.
 * Cases: genuine (ID photo = live_blink_talk.mp4 at 6.5 s; the 2 s y4m cut and the whole 7.2 s mp4), impostor
 * (joe_biden/02.jpg against the y4m cut), still photo (the still-photo-attack y4m). Needs ffmpeg for the ID frame and the mp4.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { VerificationReport } from '../src/shared/verification';
import { defaultModelsDir } from '../src/main/engine/manifest';
import { EngineService } from '../src/main/engine/service';
import { silentLogger } from '../src/main/log/logger';
import { advise } from '../src/main/verification/advice';
import { verifyVideo } from '../src/main/verification/offline';
import { seededRandom } from '../src/main/verification/random';
import { VerificationSession } from '../src/main/verification/session';
import { openVideo, readY4m } from '../src/main/engine/video';

const json = process.argv.includes('--json');
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const testdata = resolve(repo, '../shared/testdata');
const log = (line = '') => {
  if (!json) console.log(line);
};

interface Case {
  name: string;
  id: string;
  video: string;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'veridesk-bench-verify-'));
  const idFrame = join(dir, 'id_6_5s.jpg');
  const cut = spawnSync('ffmpeg', ['-v', 'error', '-nostdin', '-y', '-ss', '6.5', '-i', join(testdata, 'faces/video/live_blink_talk.mp4'), '-frames:v', '1', '-q:v', '2', idFrame]);
  if (cut.status !== 0) throw new Error(`ffmpeg could not cut the ID frame (is ffmpeg installed?): ${cut.stderr?.toString() ?? ''}`);
  const cases: Case[] = [
    { name: 'genuine (y4m 2 s)', id: idFrame, video: join(testdata, 'faces/video/live_blink_talk_640x480.y4m') },
    { name: 'genuine (mp4 7.2 s)', id: idFrame, video: join(testdata, 'faces/video/live_blink_talk.mp4') },
    { name: 'impostor (y4m 2 s)', id: join(testdata, 'faces/identities/joe_biden/02.jpg'), video: join(testdata, 'faces/video/live_blink_talk_640x480.y4m') },
    { name: 'still photo (y4m 0.5 s)', id: idFrame, video: join(testdata, 'faces/video/still-photo-attack.y4m') },
  ];
  const engine = new EngineService({ logger: silentLogger, modelsDir: defaultModelsDir(), intraOpThreads: 1 });
  const results = [];
  const challenges: Awaited<ReturnType<typeof challengeRun>>[] = [];
  const meta: { provider: string | null } = { provider: null };
  log(`bench:verify — ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}, load average at start ${loadavg()[0]!.toFixed(2)}, node ${process.version}`);
  try {
    await engine.start();
    meta.provider = engine.status().provider;
    log(`provider ${meta.provider}; offline analysis (every frame, embeddings waited for), service transact`);
    log();
    for (const c of cases) {
      let verdictWallMs: number | null = null;
      let firstFaceWallMs: number | null = null;
      const started = performance.now();
      const r = await verifyVideo(engine, {
        idPhoto: readFileSync(c.id),
        video: c.video,
        serviceType: 'transact',
        onFrame: (_a, session) => {
          const f = session.report().frames;
          if (f.firstFaceAt !== null && firstFaceWallMs === null) firstFaceWallMs = performance.now() - started;
          if (f.verdictAt !== null && verdictWallMs === null) verdictWallMs = performance.now() - started;
        },
      });
      const rep: VerificationReport = r.report;
      const fm = rep.checks.find((x) => x.id === 'face_match')!;
      const pl = rep.checks.find((x) => x.id === 'passive_liveness')!;
      const fs = rep.checks.find((x) => x.id === 'face_swap')!;
      const row = {
        case: c.name,
        frames: r.frames,
        videoSeconds: Number(r.durationSeconds.toFixed(3)),
        timeToVerdictMs: rep.frames.verdictAt !== null && rep.frames.firstFaceAt !== null ? Math.round(rep.frames.verdictAt - rep.frames.firstFaceAt) : null,
        processingToVerdictMs: verdictWallMs !== null && firstFaceWallMs !== null ? Math.round(verdictWallMs - firstFaceWallMs) : null,
        elapsedMs: Math.round(r.elapsedMs),
        secondsPerVideoSecond: Number((r.elapsedMs / 1000 / r.durationSeconds).toFixed(3)),
        msPerFrame: Number(((r.elapsedMs - r.idPhotoMs) / Math.max(1, r.frames)).toFixed(1)),
        advice: rep.advice,
        adviceIfQuery: advise('query', rep.checks, rep.spokenCode).advice,
        faceMatch: { status: fm.status, band: fm.band ?? null, score: fm.score === undefined ? null : Number(fm.score.toFixed(4)) },
        passiveLiveness: { status: pl.status, score: pl.score === undefined ? null : Number(pl.score.toFixed(4)) },
        faceSwap: { status: fs.status, reason: fs.reason },
        keyFrames: rep.frames.keyFrames,
      };
      results.push(row);
      log(`${c.name}: ${row.frames} frames = ${row.videoSeconds} s of video, ${row.keyFrames} key frames`);
      log(`  passive verdict ${row.timeToVerdictMs ?? '–'} ms of video after the face appeared (processing ${row.processingToVerdictMs ?? '–'} ms)`);
      log(`  verify ${(row.elapsedMs / 1000).toFixed(2)} s = ${row.secondsPerVideoSecond} s per video second (${row.msPerFrame} ms/frame)`);
      log(
        `  advice ${row.advice} (query: ${row.adviceIfQuery}); face_match ${fm.status} ${fm.band ?? ''} ${row.faceMatch.score ?? ''}; passive_liveness ${pl.status} ${row.passiveLiveness.score ?? ''}; face_swap ${fs.status} (${fs.reason})`,
      );
    }
    log();
    log('with the active challenge (a live session on video time; the challenge starts at the passive verdict; actions');
    log('drawn from blink and open_mouth, the ones the test video does — a cooperative customer; a fixed seed, bench only):');
    for (const c of [cases[0]!, cases[3]!]) {
      const r = await challengeRun(engine, c);
      challenges.push(r);
      log(`  ${c.name}: challenge ${r.actions.join(' → ')} ${r.status} after ${r.challengeMs ?? '–'} ms; verdict with the challenge ${r.timeToVerdictMs ?? '–'} ms of video after the face appeared (${r.advice})`);
    }
  } finally {
    await engine.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  if (json) console.log(JSON.stringify({ bench: 'verify', provider: meta.provider, cpus: cpus().length, node: process.version, results, challenges }));
}

/**
 * The same video looped (12 s) through a live session whose clock is the video's time: the passive verdict, then a
 * 2-step challenge, judged from the engine's signals frame by frame as in a call.
 */
async function challengeRun(engine: EngineService, c: Case) {
  let videoTime = 0;
  const session = new VerificationSession({
    serviceType: 'transact',
    calibration: engine.getCalibration(),
    clock: { now: () => videoTime },
    streamId: 'bench-challenge',
    random: seededRandom(7),
    config: { challengeActions: ['blink', 'open_mouth'], challengeMinSteps: 2, challengeMaxSteps: 2 },
  });
  session.setIdPhoto(await engine.analyzeImage(readFileSync(c.id)));
  engine.releaseStream('bench-challenge');
  const frames: Array<{ width: number; height: number; rgba: Uint8Array; time: number; fps: number }> = [];
  const { stream, close } = openVideo(c.video, 640);
  try {
    for await (const f of readY4m(stream)) frames.push({ width: f.width, height: f.height, rgba: new Uint8Array(f.rgba), time: f.time, fps: f.fps });
  } finally {
    close();
  }
  const fps = frames[0]?.fps ?? 30;
  let challengeStartedAt: number | null = null;
  let actions: string[] = [];
  for (let i = 0; i < fps * 12; i++) {
    const f = frames[i % frames.length]!;
    videoTime = (i / fps) * 1000;
    const result = await engine.analyzeFrame({ streamId: 'bench-challenge', width: f.width, height: f.height, capturedAt: videoTime, rgba: f.rgba }, { offline: true });
    session.onFrame(result);
    session.tick();
    const report = session.report();
    if (challengeStartedAt === null && report.frames.verdictAt !== null) {
      challengeStartedAt = videoTime;
      actions = session.startChallenge().steps.map((st) => st.action);
    }
    const active = report.checks.find((x) => x.id === 'active_liveness')!;
    if (challengeStartedAt !== null && (active.status === 'pass' || active.status === 'fail')) {
      const firstFace = report.frames.firstFaceAt ?? 0;
      return { case: c.name, actions, status: active.status, challengeMs: Math.round(videoTime - challengeStartedAt), timeToVerdictMs: Math.round(videoTime - firstFace), advice: report.advice };
    }
  }
  engine.releaseStream('bench-challenge');
  return { case: c.name, actions, status: 'unfinished' as const, challengeMs: null, timeToVerdictMs: null, advice: session.report().advice };
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
