/**
 * The verification desk in main, on a real SQLite case log with the shipped scripts and synthetic engine
 * results: ID information (a wrong check digit stores nothing), the face match reaching a verdict, every check
 * change as a case event, a decision against the advice only with a reason code, the closing checklist gate,
 * escalation, and the case closed with its summary.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DeskState } from '../../../src/shared/desk';
import { AppFailure } from '../../../src/shared/errors';
import { idCheckDigit } from '../../../src/shared/id-number';
import { StaticKeyProvider } from '../../../src/main/caselog/key-provider';
import { CaseStore } from '../../../src/main/caselog/store';
import { againstAdvice, DeskService, maskName, type ActiveCall } from '../../../src/main/desk/desk-service';
import { silentLogger } from '../../../src/main/log/logger';
import { loadScripts } from '../../../src/main/scripts/loader';
import { calibration, frames, identity, idPhoto, sample } from '../verification/builder';

const scripts = loadScripts(resolve(import.meta.dirname, '../../../resources/scripts')).scripts;
const VALID_ID = (() => {
  const first17 = '11010519491231002';
  return first17 + idCheckDigit(first17);
})();

let dir: string;
let store: CaseStore;
let emitted: DeskState[];
let call: ActiveCall;

function desk(serviceType: ActiveCall['serviceType'] = 'query', idEmbedding: number[] | null = identity(1)): DeskService {
  const opened = store.openCase({ agentId: 'agent-7', serviceType });
  call = { callId: 'call-abcdef0123456789', caseId: opened.caseId, streamId: 'call-test', serviceType, closed: false };
  return new DeskService({
    engine: { analyzeImage: async () => idPhoto(idEmbedding), getCalibration: () => calibration() },
    store,
    activeCall: () => call,
    device: () => null,
    scripts: () => scripts,
    agentId: () => 'agent-7',
    emit: (state) => emitted.push(state),
    log: silentLogger,
    pushIntervalMs: 5,
  });
}

const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]).toString('base64');

async function failure(p: Promise<unknown> | (() => unknown)): Promise<AppFailure> {
  const error = await (typeof p === 'function' ? Promise.resolve().then(p) : p).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppFailure);
  return error as AppFailure;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vd-desk-'));
  store = CaseStore.open({ path: join(dir, 'cases.db'), keyProvider: new StaticKeyProvider(Buffer.alloc(32, 9)) });
  emitted = [];
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('DeskService', () => {
  it('refuses an ID number with a wrong check digit and stores nothing; a valid one is stored masked with its keyed hash', async () => {
    const service = desk();
    const wrong = VALID_ID.slice(0, 17) + (VALID_ID[17] === '0' ? '1' : '0');
    const refused = await failure(() => service.setIdInfo(call.callId, '张三丰', wrong));
    expect(refused.code).toBe('INVALID_INPUT');
    expect(refused.message).toMatch(/check digit/);
    expect(store.events(call.caseId).map((e) => e.type)).not.toContain('id.recorded');
    const state = service.setIdInfo(call.callId, '张三丰', VALID_ID);
    expect(state.idInfo).toMatchObject({ nameMasked: '张**', idNumberMasked: `110${'*'.repeat(11)}${VALID_ID.slice(-4)}`, birthDate: '1949-12-31', gender: 'female' });
    const recorded = store.events(call.caseId).find((e) => e.type === 'id.recorded')!;
    expect(JSON.stringify(recorded.payload)).not.toContain(VALID_ID);
    expect(recorded.payload.idNumberHash).toMatch(/^[0-9a-f]{64}$/);
    expect(maskName('李')).toBe('*');
  });

  it('reaches a face-match verdict from key frames, writes check changes as case events, and pushes DeskState', async () => {
    const service = desk('query');
    await service.setIdPhoto(call.callId, JPEG, 'file');
    const person = identity(1);
    for (const f of frames(1000, 7000, (_t, i) => (i % 3 === 0 ? { embedding: sample(person, i, 0.8), live: 0.99 } : {}))) service.onAnalysis(f);
    const state = service.current()!;
    const match = state.report.checks.find((c) => c.id === 'face_match')!;
    expect(match.status).toBe('pass');
    expect(match.band).toBe('match');
    const types = store.events(call.caseId).map((e) => e.type);
    expect(types).toContain('check.result');
    expect(types).toContain('verification.event');
    expect(types).toContain('evidence.added'); // the ID photo, encrypted
    await expect.poll(() => emitted.length).toBeGreaterThan(1);
    expect(state.suggestedStep).not.toBeNull();
  });

  it('keeps the frames a check cites as encrypted evidence and shows them decrypted; an unknown frame is NOT_FOUND', async () => {
    const service = desk('query');
    await service.setIdPhoto(call.callId, JPEG, 'file');
    const person = identity(1);
    for (const f of frames(1000, 4000, (_t, i) => (i % 3 === 0 ? { embedding: sample(person, i, 0.8) } : {}))) {
      // main received this frame before the engine answered for it
      service.onFrame({ streamId: f.streamId, width: 8, height: 6, capturedAt: f.capturedAt, rgba: new Uint8Array(8 * 6 * 4).fill(120) });
      service.onAnalysis(f);
    }
    const cited = service.current()!.report.checks.flatMap((c) => c.evidence ?? []);
    expect(cited.length).toBeGreaterThan(0);
    let image: { mime: string; data: string } | null = null;
    await expect
      .poll(() => {
        for (const e of cited) {
          try {
            image = service.evidence(call.callId, e.streamId, e.capturedAt);
            return true;
          } catch {
            /* not stored (left the window) or not yet encoded */
          }
        }
        return false;
      })
      .toBe(true);
    expect(image!.mime).toBe('image/jpeg');
    expect(Buffer.from(image!.data, 'base64').subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    expect((await failure(() => service.evidence(call.callId, 'call-test', 1))).code).toBe('NOT_FOUND');
  });

  it('a decision against the advice needs a reason code; with one the case closes with its summary', async () => {
    const service = desk('query');
    await service.setIdPhoto(call.callId, JPEG, 'file');
    const stranger = identity(2);
    for (const f of frames(1000, 7000, (_t, i) => (i % 3 === 0 ? { embedding: sample(stranger, i, 0.8) } : {}))) service.onAnalysis(f);
    expect(service.current()!.report.advice).toBe('fail');
    const refused = await failure(() => service.decide(call.callId, 'pass', undefined, undefined));
    expect(refused.code).toBe('FORBIDDEN');
    expect(store.events(call.caseId).map((e) => e.type)).not.toContain('decision.made');
    const state = service.decide(call.callId, 'pass', 'verified_other_means', 'checked the passport chip in branch');
    expect(state.decision).toMatchObject({ decision: 'pass', against: true, reasonCode: 'verified_other_means' });
    expect(state.closed).toBe(true);
    const events = store.events(call.caseId);
    expect(events.find((e) => e.type === 'decision.made')!.payload).toMatchObject({ decision: 'pass', advice: 'fail', against: true, reasonCode: 'verified_other_means' });
    const closed = events.find((e) => e.type === 'case.closed')!;
    expect(closed.payload).toMatchObject({ verdict: 'verified', reasonCode: 'verified_other_means', summary: { advice: 'fail', decision: 'pass', against: true } });
    expect(store.summary(call.caseId)).toMatchObject({ status: 'closed', verdict: 'verified' });
    // closed: nothing more changes it
    expect((await failure(() => service.decide(call.callId, 'fail', undefined, undefined))).code).toBe('FORBIDDEN');
  });

  it('a failed case can be escalated to a team lead, once, as a case event', async () => {
    const service = desk('query', identity(1));
    await service.setIdPhoto(call.callId, JPEG, 'file');
    for (const f of frames(1000, 7000, (_t, i) => (i % 3 === 0 ? { embedding: sample(identity(3), i, 0.8) } : {}))) service.onAnalysis(f);
    service.escalate(call.callId, 'customer insists');
    service.escalate(call.callId, undefined);
    expect(store.events(call.caseId).filter((e) => e.type === 'case.escalated')).toHaveLength(1);
    expect(service.current()!.escalated).toBe(true);
  });

  it('operate: passing needs the closing checklist complete; unknown items are refused', async () => {
    const service = desk('operate');
    const state = service.current()!;
    expect(state.checklist.missing.length).toBeGreaterThan(0);
    expect((await failure(() => service.checklist(call.callId, 'no_such_item', true))).code).toBe('NOT_FOUND');
    const item = state.checklist.missing[0]!;
    expect(service.checklist(call.callId, item, true).checklist.ticked).toEqual([item]);
    // the advice is not pass (no ID photo, no checks): with a reason it is still refused while items are missing
    const refused = await failure(() => service.decide(call.callId, 'pass', 'verified_other_means', undefined));
    expect(refused.message).toMatch(/checklist/);
  });

  it('only the active call is served', async () => {
    const service = desk();
    expect((await failure(() => service.startChallenge('call-0000000000000000'))).code).toBe('NOT_FOUND');
  });

  it('names decisions against the advice', () => {
    expect(againstAdvice('pass', 'pass')).toBe(false);
    expect(againstAdvice('pass', 'review')).toBe(true);
    expect(againstAdvice('pass', 'fail')).toBe(true);
    expect(againstAdvice('fail', 'pass')).toBe(true);
    expect(againstAdvice('fail', 'review')).toBe(false);
    expect(againstAdvice('fail', 'fail')).toBe(false);
  });
});
