/**
 * The shift and the queue seat together: the real QueueService talking HTTP to the stand-in queue backend
 * (tests/unit/queue/queue-stand-in.ts), the real ShiftService on a real SQLite case log, a synthetic face engine
 * (the real engine's decision is tests/unit/shift/presence-engine.test.ts). Going online needs a signed-in shift; a
 * failed or missed random check sets the seat 小休 with 'presence_check_failed' and 示闲 waits for a passed retry.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ImageAnalysis } from '../../../src/shared/engine';
import { AppFailure } from '../../../src/shared/errors';
import type { QueueStatus } from '../../../src/shared/queue-desk';
import { silentLogger } from '../../../src/main/log/logger';
import { QueueService } from '../../../src/main/queue/queue-service';
import { SHIFT_MESSAGES } from '../../../src/main/shift/shift-service';
import { startQueueStandIn, type QueueStandIn } from '../queue/queue-stand-in';
import { calibration, identity, idPhoto, sample } from '../verification/builder';
import { harness, tinyJpegBase64, type Harness } from './shift-support';

const AGENT = identity(1);
const SOMEONE_ELSE = identity(2);
const TOKEN = 'vd_test-token';

let standIn: QueueStandIn;
let queue: QueueService;
let h: Harness;
let statuses: QueueStatus[];
let seen: ImageAnalysis;
let frame: string;

async function refusal(p: Promise<unknown>): Promise<AppFailure> {
  const error = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppFailure);
  return error as AppFailure;
}

const agentPuts = () => standIn.requests.filter((r) => r.method === 'PUT' && r.path === '/api/v1/queue/agent').map((r) => (r.body as { state: string }).state);

function setUp(faceCheck: boolean): void {
  h = harness({
    engine: { analyzeImage: async () => structuredClone(seen), getCalibration: () => calibration() },
    queue: () => queue,
    faceCheck: { enabled: faceCheck, minIntervalMin: 10, maxIntervalMin: 20 },
    random: () => 0.5,
  });
  queue = new QueueService({
    settings: () => ({ agentId: h.settings.agentId, backendUrl: standIn.url }),
    tokenFor: (origin) => (origin === standIn.origin ? TOKEN : undefined),
    log: silentLogger,
    emit: (s) => statuses.push(s),
    store: { openCase: () => ({}) as never, append: () => ({}) as never },
    calls: {
      startInRoom: () => {
        throw new Error('no calls in this test');
      },
      active: () => null,
    },
    desk: null,
    presenceGate: (state) => h.service.presenceGate(state),
    tuning: { readyIntervalMs: 20, idleIntervalMs: 40, backoff: { baseMs: 20, maxMs: 100 } },
  });
}

beforeEach(async () => {
  // the stand-in only reaches a real backend at accept, which these tests never do
  standIn = await startQueueStandIn('http://127.0.0.1:9');
  statuses = [];
  seen = idPhoto(AGENT);
  frame = await tinyJpegBase64();
});
afterEach(async () => {
  await queue.close();
  h.close();
  await standIn.close();
});

describe('going online needs a signed-in shift', () => {
  it('refuses 示闲 and 小休 before sign-in without asking the backend, allows them after, and signs the seat out at sign-out', async () => {
    setUp(false);
    await queue.connect(standIn.url);
    for (const state of ['ready', 'away', 'busy'] as const) {
      const refused = await refusal(queue.setState(state));
      expect(refused.code).toBe('FORBIDDEN');
      expect(refused.message).toBe(SHIFT_MESSAGES.signInFirst);
    }
    expect(agentPuts()).toEqual([]);

    const signedIn = await h.service.signIn('agent-7', undefined);
    expect(signedIn.shift).toMatchObject({ agentId: 'agent-7' });
    await queue.setState('ready');
    expect(standIn.state()).toBe('ready');

    const out = await h.service.signOut();
    expect(out.shift).toBeNull();
    expect(standIn.state()).toBe('offline');
    expect(agentPuts()).toEqual(['ready', 'offline']);
    const [entry] = h.service.history();
    expect(entry).toMatchObject({ agentId: 'agent-7', endReason: 'signed_out', chain: { ok: true } });
    expect(h.log.events(entry!.shiftId).map((e) => e.type)).toEqual(['shift.started', 'shift.ended']);
    await expect(queue.setState('ready')).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('ends the shift and takes the seat offline when 设置 gets another agent id', async () => {
    setUp(false);
    await queue.connect(standIn.url);
    await h.service.signIn('agent-7', undefined);
    await queue.setState('ready');
    h.settings = { ...h.settings, agentId: 'agent-8' };
    h.service.onSettingsChanged(h.settings);
    await vi.waitFor(() => expect(standIn.state()).toBe('offline'));
    expect(h.service.status().shift).toBeNull();
    expect(h.service.history()[0]).toMatchObject({ agentId: 'agent-7', endReason: 'agent_changed' });
  });
});

describe('face checks during the shift set the seat away when they fail', () => {
  beforeEach(async () => {
    setUp(true);
    await queue.connect(standIn.url);
    await h.service.enrol('agent-7', frame);
  });

  it('a failed random check sets 小休 with presence_check_failed; 示闲 is refused until a retry passes', async () => {
    await h.service.signIn('agent-7', [frame]);
    await queue.setState('ready');
    // random 0.5 in [10, 20] min: the check is due after 15 min
    expect(h.service.status().nextCheckScheduled).toBe(true);
    h.timers.fire(15 * 60_000);
    const due = h.service.status().checkDue;
    expect(due).not.toBeNull();

    seen = idPhoto(SOMEONE_ELSE);
    const after = await h.service.check(due!.checkId, [frame, frame]);
    expect(after.lastCheck).toMatchObject({ kind: 'random', result: 'fail', threshold: 0.5, band: 'mismatch' });
    expect(after.presenceOk).toBe(false);
    expect(standIn.state()).toBe('away');
    expect(queue.current()).toMatchObject({ state: 'away', reason: 'presence_check_failed' });
    expect(h.notices).toContainEqual(expect.objectContaining({ key: 'shiftPresenceFailed', detail: 'fail' }));
    // the next random check is scheduled again
    expect(after.nextCheckScheduled).toBe(true);
    // the poll keeps the workstation's reason while the backend says away without one
    await new Promise((r) => setTimeout(r, 120));
    expect(queue.current().reason).toBe('presence_check_failed');

    const refused = await refusal(queue.setState('ready'));
    expect(refused.message).toBe(SHIFT_MESSAGES.presenceFailed);
    expect(standIn.state()).toBe('away');

    seen = idPhoto(sample(AGENT, 11, 0.9));
    const retried = await h.service.check(undefined, [frame]);
    expect(retried.lastCheck).toMatchObject({ kind: 'retry', result: 'pass' });
    await queue.setState('ready');
    expect(standIn.state()).toBe('ready');
    expect(queue.current().reason).toBeNull();

    const shiftId = h.service.status().shift!.shiftId;
    const checks = h.log.events(shiftId).filter((e) => e.type === 'shift.face_check').map((e) => [e.payload.kind, e.payload.result]);
    expect(checks).toEqual([
      ['sign_in', 'pass'],
      ['random', 'fail'],
      ['retry', 'pass'],
    ]);
    // shift events never land in a customer case
    expect(h.store.listCases({})).toEqual([]);
  });

  it('a random check the seat does not answer in time counts as missed and sets 小休', async () => {
    await h.service.signIn('agent-7', [frame]);
    await queue.setState('ready');
    h.timers.fire(15 * 60_000);
    expect(h.service.status().checkDue).not.toBeNull();
    h.timers.fire(60_000);
    await vi.waitFor(() => expect(standIn.state()).toBe('away'));
    expect(h.service.status()).toMatchObject({ checkDue: null, presenceOk: false, lastCheck: { kind: 'random', result: 'missed', score: null } });
    // answering the lapsed check afterwards is refused
    await expect(h.service.check('chk-late', [frame])).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('a failed check at sign-in refuses the shift with a Chinese message and keeps the refused attempt in the log', async () => {
    seen = idPhoto(SOMEONE_ELSE);
    const refused = await refusal(h.service.signIn('agent-7', [frame]));
    expect(refused.code).toBe('FORBIDDEN');
    expect(refused.message).toBe(SHIFT_MESSAGES.refused.fail);
    expect(h.service.status().shift).toBeNull();
    await expect(queue.setState('ready')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const [attempt] = h.service.history();
    expect(attempt).toMatchObject({ endReason: 'sign_in_refused', checks: [{ kind: 'sign_in', result: 'fail' }], chain: { ok: true } });
  });

  it('sign-in without an enrolment or without frames is refused and starts nothing', async () => {
    await expect(h.service.signIn('agent-9', [frame])).rejects.toMatchObject({ code: 'FORBIDDEN', message: SHIFT_MESSAGES.notEnrolled('agent-9') });
    await expect(h.service.signIn('agent-7', undefined)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(h.service.signIn('agent-7', [Buffer.from('GIF89a not a jpeg at all').toString('base64')])).rejects.toMatchObject({ code: 'CORRUPT_INPUT' });
    expect(h.service.history()).toEqual([]);
  });
});
