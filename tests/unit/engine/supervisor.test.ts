/**
 * The engine supervisor and analyzeFrame() with stand-in engine processes (plain .mjs children speaking the
 * real protocol over child_process.fork): restarts with backoff, giving up, a fresh start() after giving up,
 * and a caller waiting for one frame is always answered — never left hanging — when the frame fails, when the
 * engine dies with it, or when the engine is stopped.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { EngineStatus } from '../../../src/shared/contract';
import { AppFailure } from '../../../src/shared/errors';
import type { Frame } from '../../../src/shared/frame';
import { EngineService } from '../../../src/main/engine/service';
import { silentLogger } from '../../../src/main/log/logger';

const dir = mkdtempSync(join(tmpdir(), 'vd-supervisor-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A stand-in engine: init fails while the file FAIL_FLAG exists; a frame with capturedAt 666 aborts the process
 * (SIGABRT), 777 gets a frameError, 888 is never answered, anything else a result.
 */
const FAKE = (failFlag: string) => `
import { existsSync } from 'node:fs';
process.on('message', (m) => {
  if (m.type === 'init') {
    if (existsSync(${JSON.stringify(failFlag)})) process.send({ type: 'initError', code: 'UNAVAILABLE', message: 'models missing (test)' });
    else process.send({ type: 'ready', provider: 'cpu', modelSha256: {}, probes: [{ provider: 'cpu', used: true, reason: 'loaded' }] });
  }
  if (m.type === 'frame') {
    if (m.capturedAt === 666) process.abort();
    if (m.capturedAt === 777) return process.send({ type: 'frameError', seq: m.seq, streamId: m.streamId, message: 'bad frame (test)' });
    if (m.capturedAt === 888) return;
    process.send({ type: 'frameResult', seq: m.seq, result: { streamId: m.streamId, capturedAt: m.capturedAt, width: m.width, height: m.height,
      faceCount: 0, primary: null, others: [], keyFrame: false, source: 'none',
      ages: { detection: 0, landmarks: null, liveness: null, poseModel: null, embedding: null }, timingsMs: {}, droppedFrames: m.droppedFrames } });
  }
});
process.on('disconnect', () => process.exit(0));
`;

function fakeEngine(options: { failing?: boolean; maxConsecutiveFailures?: number } = {}) {
  const id = Math.random().toString(36).slice(2);
  const flag = join(dir, `fail-${id}`);
  if (options.failing) writeFileSync(flag, '');
  const file = join(dir, `engine-${id}.mjs`);
  writeFileSync(file, FAKE(flag));
  const engine = new EngineService({
    logger: silentLogger,
    modelsDir: dir,
    entry: { modulePath: file, execArgv: [] },
    restartDelayMs: 20,
    maxConsecutiveFailures: options.maxConsecutiveFailures ?? 3,
  });
  const states: EngineStatus[] = [];
  engine.onStatus((s) => states.push(s));
  return { engine, states, flag };
}

const frame = (capturedAt: number, streamId = 'call-0000000000000001'): Frame => ({ streamId, width: 2, height: 2, capturedAt, rgba: new Uint8Array(16) });

async function rejection(p: Promise<unknown>): Promise<AppFailure> {
  const error = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppFailure);
  return error as AppFailure;
}

describe('EngineSupervisor through EngineService', () => {
  it('answers analyzeFrame, and rejects (never hangs) when the engine reports a frame error', async () => {
    const { engine } = fakeEngine();
    try {
      await engine.start();
      await expect(engine.analyzeFrame(frame(1))).resolves.toMatchObject({ capturedAt: 1, faceCount: 0 });
      expect((await rejection(engine.analyzeFrame(frame(777)))).code).toBe('INTERNAL');
      // the engine keeps serving
      await expect(engine.analyzeFrame(frame(2))).resolves.toMatchObject({ capturedAt: 2 });
    } finally {
      await engine.stop();
    }
  });

  it('rejects the frame that was in an engine that died (SIGABRT), restarts it with a new pid, and serves again', async () => {
    const { engine, states } = fakeEngine();
    try {
      await engine.start();
      const pid = engine.status().pid;
      const error = await rejection(engine.analyzeFrame(frame(666)));
      expect(error.code).toBe('UNAVAILABLE');
      expect(error.message).toMatch(/SIGABRT/);
      await engine.whenReady();
      expect(states.map((s) => s.state)).toContain('restarting');
      expect(engine.status()).toMatchObject({ state: 'ready', restarts: 1 });
      expect(engine.status().pid).not.toBe(pid);
      await expect(engine.analyzeFrame(frame(3))).resolves.toMatchObject({ capturedAt: 3 });
    } finally {
      await engine.stop();
    }
  });

  it('rejects a frame that a newer frame of its stream replaced while it waited', async () => {
    const { engine } = fakeEngine();
    try {
      await engine.start();
      const stuck = engine.analyzeFrame(frame(888)); // in the engine, never answered
      void stuck.catch(() => undefined);
      const waiting = engine.analyzeFrame(frame(4)); // waits in the stream's slot
      engine.submitFrame(frame(5)); // replaces it
      expect((await rejection(waiting)).message).toMatch(/replaced/);
    } finally {
      await engine.stop();
    }
  });

  it('rejects waiting and in-flight frames when stopped', async () => {
    const { engine } = fakeEngine();
    await engine.start();
    const inFlight = rejection(engine.analyzeFrame(frame(888)));
    const waiting = rejection(engine.analyzeFrame(frame(9, 'agent')));
    await engine.stop();
    expect((await inFlight).code).toBe('UNAVAILABLE');
    expect((await waiting).code).toBe('UNAVAILABLE');
  });

  it('gives up after too many failed starts in a row; start() afterwards is a fresh start with its own attempts', async () => {
    const { engine, states, flag } = fakeEngine({ failing: true, maxConsecutiveFailures: 2 });
    const first = await rejection(engine.start());
    expect(first.message).toMatch(/models missing/);
    expect(engine.status().state).toBe('failed');
    expect(engine.status().restarts).toBe(2);
    // still broken: a new start() tries again (2 more restarts), not once and give up
    const second = await rejection(engine.start());
    expect(second.code).toBe('UNAVAILABLE');
    expect(engine.status().restarts).toBe(4);
    expect(states.filter((s) => s.state === 'failed')).toHaveLength(2);
    // the cause is fixed (models fetched): the next start() succeeds
    rmSync(flag);
    expect(existsSync(flag)).toBe(false);
    await engine.start();
    expect(engine.status().state).toBe('ready');
    await engine.stop();
  });
});
