/**
 * 话术 steps as case events (issue 11 leftovers), on a real SQLite case log with the shipped scripts: a move through
 * DeskService.scriptStep becomes a `script.step` verification event with main's own index, title and script
 * version; an unknown step, another call, an ended call, a decided case and a flood are refused with nothing
 * stored; the contract refuses malformed input; and the events sync to a real backend (PGlite over HTTP), which
 * keeps them byte for byte.
 */
import type { FastifyInstance } from 'fastify';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildServer } from '../../../server/app';
import { createToken } from '../../../server/auth/tokens';
import { openPglite, type ServerDb } from '../../../server/db/database';
import { migrateServer } from '../../../server/db/migrations';
import { methods } from '../../../src/shared/contract';
import { AppFailure } from '../../../src/shared/errors';
import { ScriptStepEventSchema, VerificationEventSchema } from '../../../src/shared/verification';
import { StaticKeyProvider } from '../../../src/main/caselog/key-provider';
import { CaseStore } from '../../../src/main/caselog/store';
import { DeskService, type ActiveCall } from '../../../src/main/desk/desk-service';
import { MAX_SCRIPT_STEPS_PER_WINDOW, SCRIPT_STEP_WINDOW_MS } from '../../../src/main/desk/script-steps';
import { silentLogger } from '../../../src/main/log/logger';
import { loadScripts } from '../../../src/main/scripts/loader';
import { SyncClient } from '../../../src/main/sync/sync-client';
import { calibration, idPhoto, identity } from '../verification/builder';

const scripts = loadScripts(resolve(import.meta.dirname, '../../../resources/scripts')).scripts;
const key = new StaticKeyProvider(Buffer.alloc(32, 9));

let dir: string;
let store: CaseStore;
let call: ActiveCall;
let clock: number;

function desk(serviceType: ActiveCall['serviceType'] = 'operate'): DeskService {
  const opened = store.openCase({ agentId: 'agent-7', serviceType });
  call = { callId: 'call-abcdef0123456789', caseId: opened.caseId, streamId: 'call-test', serviceType, closed: false };
  return new DeskService({
    engine: { analyzeImage: async () => idPhoto(identity(1)), getCalibration: () => calibration() },
    store,
    activeCall: () => call,
    device: () => null,
    scripts: () => scripts,
    agentId: () => 'agent-7',
    emit: () => {},
    log: silentLogger,
    now: () => clock,
  });
}

const stepEvents = (caseId: string) => store.events(caseId).filter((e) => e.type === 'verification.event' && e.payload.type === 'script.step');

function refusal(fn: () => unknown): AppFailure {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AppFailure);
    return error as AppFailure;
  }
  throw new Error('expected a refusal');
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vd-script-steps-'));
  store = CaseStore.open({ path: join(dir, 'cases.db'), keyProvider: key });
  clock = 1_700_000_000_000;
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('desk.scriptStep', () => {
  it('logs a move to a step of the case script as a script.step event, with index, title and version from main', () => {
    const service = desk('operate');
    const script = scripts.find((s) => s.serviceType === 'operate')!;
    const target = script.steps[1]!;
    expect(service.scriptStep(call.callId, target.id, 'next')).toBeNull();
    const [event] = stepEvents(call.caseId);
    expect(event).toMatchObject({ actor: 'agent-7', at: clock });
    expect(event!.payload).toEqual({ type: 'script.step', at: clock, scriptId: 'operate.yaml', scriptVersion: script.version, stepId: target.id, index: 1, via: 'next', title: target.title });
    // what went into the chain is a verification event the shared schemas (and so the backend, the review) accept
    expect(VerificationEventSchema.safeParse(event!.payload).success).toBe(true);
    expect(store.verify().ok).toBe(true);
  });

  it('refuses a step the case script does not have, another call, an ended call and a decided case, storing nothing', async () => {
    const service = desk('query');
    const operateOnly = scripts.find((s) => s.serviceType === 'operate')!.steps.find((s) => !scripts.find((q) => q.serviceType === 'query')!.steps.some((q) => q.id === s.id))!;
    expect(refusal(() => service.scriptStep(call.callId, operateOnly.id, 'jump'))).toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('query script') });
    expect(refusal(() => service.scriptStep('call-other0123456789', scripts[0]!.steps[0]!.id, 'jump')).code).toBe('NOT_FOUND');
    call = { ...call, closed: true };
    const first = scripts.find((s) => s.serviceType === 'query')!.steps[0]!.id;
    expect(refusal(() => service.scriptStep(call.callId, first, 'jump'))).toMatchObject({ code: 'FORBIDDEN', message: 'the call has ended' });
    call = { ...call, closed: false };
    expect(service.scriptStep(call.callId, first, 'jump')).toBeNull();
    // decided: the case is closed, later moves are not its events
    await service.setIdPhoto(call.callId, Buffer.from([0xff, 0xd8, 0xff, 0xe0]).toString('base64'), 'file');
    service.decide(call.callId, 'fail', 'suspected_impostor', undefined);
    expect(refusal(() => service.scriptStep(call.callId, first, 'jump')).code).toBe('FORBIDDEN');
    expect(stepEvents(call.caseId).map((e) => e.payload.stepId)).toEqual([first]);
  });

  it('a service type without a loaded script is NOT_FOUND', () => {
    const service = new DeskService({
      engine: { analyzeImage: async () => idPhoto(identity(1)), getCalibration: () => calibration() },
      store,
      activeCall: () => call,
      device: () => null,
      scripts: () => [],
      agentId: () => 'agent-7',
      emit: () => {},
      log: silentLogger,
    });
    call = { callId: 'call-abcdef0123456789', caseId: store.openCase({ agentId: 'agent-7', serviceType: 'consult' }).caseId, streamId: 's', serviceType: 'consult', closed: false };
    expect(refusal(() => service.scriptStep(call.callId, 'greeting', 'jump'))).toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('no 话术 script') });
    expect(stepEvents(call.caseId)).toEqual([]);
  });

  it('logs every move at a human pace but refuses a flood beyond the window limit, then accepts again', () => {
    const service = desk('operate');
    const ids = scripts.find((s) => s.serviceType === 'operate')!.steps.map((s) => s.id);
    for (let i = 0; i < MAX_SCRIPT_STEPS_PER_WINDOW; i++) {
      clock += 50;
      service.scriptStep(call.callId, ids[i % ids.length]!, 'next');
    }
    clock += 50;
    expect(refusal(() => service.scriptStep(call.callId, ids[0]!, 'next'))).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('script steps in') });
    expect(stepEvents(call.caseId)).toHaveLength(MAX_SCRIPT_STEPS_PER_WINDOW);
    clock += SCRIPT_STEP_WINDOW_MS;
    expect(service.scriptStep(call.callId, ids[0]!, 'back')).toBeNull();
    expect(stepEvents(call.caseId)).toHaveLength(MAX_SCRIPT_STEPS_PER_WINDOW + 1);
  });

  it('the contract refuses malformed moves before any handler runs', () => {
    const input = methods['desk.scriptStep'].input;
    const good = { callId: 'call-abcdef0123456789', stepId: 'greeting', via: 'next' };
    expect(input.safeParse(good).success).toBe(true);
    for (const bad of [
      { ...good, via: 'teleport' },
      { ...good, stepId: 'Greeting; DROP' },
      { ...good, stepId: 'x'.repeat(49) },
      { ...good, callId: 'short' },
      { ...good, index: 3 }, // main computes the index, the renderer may not send one
      { callId: good.callId, via: 'next' },
    ]) {
      expect(input.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
    // and the event schema: a hand-made event with a title-less, version-less payload still reads
    expect(ScriptStepEventSchema.safeParse({ type: 'script.step', at: 1, scriptId: 'operate.yaml', stepId: 'greeting', index: 0, via: 'jump' }).success).toBe(true);
    expect(ScriptStepEventSchema.safeParse({ type: 'script.step', at: 1, scriptId: '../x', stepId: 'greeting', index: 0, via: 'jump' }).success).toBe(false);
  });
});

describe('script steps through sync', () => {
  let db: ServerDb;
  let app: FastifyInstance;

  beforeEach(async () => {
    db = await openPglite();
    await migrateServer(db);
    app = await buildServer({ db, logger: silentLogger });
    await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterEach(async () => {
    await app.close();
    await db.close();
  });

  it('the backend accepts a case with script.step events and keeps them as sent', async () => {
    const service = desk('operate');
    const steps = scripts.find((s) => s.serviceType === 'operate')!.steps;
    service.scriptStep(call.callId, steps[1]!.id, 'next');
    clock += 1000;
    service.scriptStep(call.callId, steps.at(-1)!.id, 'suggested');
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const client = new SyncClient({ store, serverUrl: `http://127.0.0.1:${port}`, token: await createToken(db, store.workstationId) });
    const result = await client.syncOnce();
    expect(result).toMatchObject({ held: 0, pending: 0 });
    const rows = (await db.query<{ seq: number; hash: string; payload: unknown }>("SELECT seq, hash, payload FROM events WHERE case_id = $1 AND type = 'verification.event' ORDER BY seq", [call.caseId])).rows;
    const local = stepEvents(call.caseId);
    expect(rows.map((r) => [r.seq, r.hash])).toEqual(local.map((e) => [e.seq, e.hash]));
    expect(rows.map((r) => (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload))).toEqual(local.map((e) => e.payload));
  });
});
