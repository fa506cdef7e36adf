/**
 * A call's frame stream is released when the call ends: the diagnostics slot and the engine's
 * per-stream state (waiting frame, embedding pacing) go, so an app that runs many calls in a row
 * never runs out of streams or grows per-call state.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FrameAnalysis } from '../../../src/shared/engine';
import type { Frame } from '../../../src/shared/frame';
import type { LiveAnalysis } from '../../../src/shared/call';
import { LiveAnalysisSchema } from '../../../src/shared/call';
import { forwardCallAnalysis } from '../../../src/main/call/call-stream';
import { EngineService } from '../../../src/main/engine/service';
import { silentLogger } from '../../../src/main/log/logger';

// A stand-in for the engine process speaking the real protocol over child_process.fork: every frame gets a
// result with an embedding after \`delay\` ms (so a result can be in flight while its stream is released).
const FAKE_ENGINE = `
process.on('message', (m) => {
  if (m.type === 'init') process.send({ type: 'ready', provider: 'cpu', modelSha256: {}, probes: [] });
  if (m.type === 'frame') setTimeout(() => process.send({ type: 'frameResult', seq: m.seq, result: {
    streamId: m.streamId, capturedAt: m.capturedAt, width: m.width, height: m.height, faceCount: 1, primary: null,
    others: [], embedding: [1, 0], keyFrame: true, source: 'detected',
    ages: { detection: 0, landmarks: 0, liveness: null, poseModel: null, embedding: 0 }, timingsMs: {}, droppedFrames: m.droppedFrames } }), 40);
});
process.on('disconnect', () => process.exit(0));
`;

const dir = mkdtempSync(join(tmpdir(), 'vd-stream-release-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const frame = (streamId: string, capturedAt: number): Frame => ({ streamId, width: 2, height: 2, capturedAt, rgba: new Uint8Array(16) });

async function startEngine(): Promise<{ engine: EngineService; results: FrameAnalysis[] }> {
  const file = join(dir, `engine-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(file, FAKE_ENGINE);
  const engine = new EngineService({ logger: silentLogger, modelsDir: dir, entry: { modulePath: file, execArgv: [] } });
  const results: FrameAnalysis[] = [];
  engine.onAnalysis((r) => results.push(r));
  await engine.start();
  return { engine, results };
}

describe('EngineService.releaseStream', () => {
  it('drops a released stream\'s embedding pacing and waiting frame', async () => {
    const { engine, results } = await startEngine();
    try {
      engine.submitFrame(frame('call-aaaa', 1000));
      await expect.poll(() => results.length).toBe(1);
      expect(engine.trackedStreams()).toEqual(['call-aaaa']);
      engine.submitFrame(frame('call-bbbb', 1000)); // in the engine
      engine.submitFrame(frame('call-aaaa', 2000)); // waiting in the mailbox
      engine.releaseStream('call-aaaa');
      expect(engine.mailboxSize()).toBe(0);
      await expect.poll(() => results.length).toBe(2);
      expect(results.map((r) => r.streamId)).toEqual(['call-aaaa', 'call-bbbb']);
      expect(engine.trackedStreams()).toEqual(['call-bbbb']);
    } finally {
      await engine.stop();
    }
  });

  it('leaves no state behind for a stream released while its frame is in the engine', async () => {
    const { engine, results } = await startEngine();
    try {
      engine.submitFrame(frame('call-cccc', 1000));
      engine.releaseStream('call-cccc');
      await expect.poll(() => results.length).toBe(1);
      expect(engine.trackedStreams()).toEqual([]);
    } finally {
      await engine.stop();
    }
  });
});

describe('engine.analysis forwarding', () => {
  it('forwards only the live call\'s stream, slimmed to LiveAnalysis (no embedding), stamped when main got it', async () => {
    const { engine, results } = await startEngine();
    const sent: LiveAnalysis[] = [];
    let active: string | null = 'call-1234567890abcdef';
    const stop = forwardCallAnalysis({ onAnalysis: (l) => engine.onAnalysis(l), activeStreamId: () => active, emit: (a) => sent.push(a), now: () => 42 });
    try {
      engine.submitFrame(frame('agent', 1));
      await expect.poll(() => results.length).toBe(1);
      engine.submitFrame(frame('call-1234567890abcdef', 2));
      await expect.poll(() => results.length).toBe(2);
      engine.submitFrame(frame('call-0000000000000000', 3)); // another (ended) call's late frame
      await expect.poll(() => results.length).toBe(3);
      active = null; // the call ended
      engine.submitFrame(frame('call-1234567890abcdef', 4));
      await expect.poll(() => results.length).toBe(4);
      expect(results[1]!.embedding).toBeDefined();
      expect(sent).toEqual([{ streamId: 'call-1234567890abcdef', capturedAt: 2, analysedAt: 42, width: 2, height: 2, faceCount: 1, primary: null }]);
      expect(LiveAnalysisSchema.strict().safeParse(sent[0]).success).toBe(true);
    } finally {
      stop();
      await engine.stop();
    }
  });
});
