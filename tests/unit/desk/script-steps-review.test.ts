/**
 * The re-analysis path (src/main/review/, `veridesk review`, `veridesk verify --db … --case …`) and script steps: a
 * real call's case log (DeskService on SQLite, synthetic engine results, a decision) with script.step events
 * between its checks gives the same original report and the same re-analysed outcomes as the same log without
 * them — the new kind is carried as a verification event and changes nothing the report is made from.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CaseEvent } from '../../../src/shared/cases';
import { StaticKeyProvider } from '../../../src/main/caselog/key-provider';
import { CaseStore } from '../../../src/main/caselog/store';
import { DeskService, type ActiveCall } from '../../../src/main/desk/desk-service';
import { silentLogger } from '../../../src/main/log/logger';
import { originalReport } from '../../../src/main/review/reanalysis-original';
import { toVideoTime, withCallOutcomes } from '../../../src/main/review/reanalysis-recorded';
import { loadScripts } from '../../../src/main/scripts/loader';
import { verificationEventsOf } from '../../../src/main/verification/recorded-events';
import { calibration, frames, idPhoto, identity, sample, seededRandom } from '../verification/builder';

const scripts = loadScripts(resolve(import.meta.dirname, '../../../resources/scripts')).scripts;
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]).toString('base64');

let dir: string;
let store: CaseStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vd-script-review-'));
  store = CaseStore.open({ path: join(dir, 'cases.db'), keyProvider: new StaticKeyProvider(Buffer.alloc(32, 9)) });
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A query call: ID photo, face frames, the spoken code, script moves in between, a decision. */
async function recordedCall(): Promise<{ events: CaseEvent[]; report: ReturnType<DeskService['current']> }> {
  const opened = store.openCase({ agentId: 'agent-7', serviceType: 'query' });
  const call: ActiveCall = { callId: 'call-abcdef0123456789', caseId: opened.caseId, streamId: 'call-test', serviceType: 'query', closed: false };
  const service = new DeskService({
    engine: { analyzeImage: async () => idPhoto(identity(1)), getCalibration: () => calibration() },
    store,
    activeCall: () => call,
    device: () => null,
    scripts: () => scripts,
    agentId: () => 'agent-7',
    emit: () => {},
    log: silentLogger,
    random: seededRandom(7),
  });
  const steps = scripts.find((s) => s.serviceType === 'query')!.steps;
  await service.setIdPhoto(call.callId, JPEG, 'file');
  service.scriptStep(call.callId, steps[1]!.id, 'next');
  const person = identity(1);
  for (const f of frames(1000, 7000, (_t, i) => (i % 3 === 0 ? { embedding: sample(person, i, 0.8), live: 0.99 } : {}))) service.onAnalysis(f);
  service.scriptStep(call.callId, steps.at(-1)!.id, 'suggested');
  service.issueSpokenCode(call.callId);
  service.confirmSpokenCode(call.callId, true);
  service.scriptStep(call.callId, steps[0]!.id, 'jump');
  const report = service.current();
  service.decide(call.callId, 'pass', report!.report.advice === 'pass' ? undefined : 'verified_other_means', undefined);
  return { events: store.events(call.caseId), report };
}

const isScriptStep = (e: CaseEvent) => e.type === 'verification.event' && e.payload.type === 'script.step';

describe('re-analysis with script steps in the case log', () => {
  it('gives the same original report and the same recorded outcomes with or without the script.step events', async () => {
    const { events, report } = await recordedCall();
    const without = events.filter((e) => !isScriptStep(e));
    expect(events.length - without.length).toBe(3);

    // carried: they are verification events of the case (the review sees them, on the video's clock like the rest)
    const carried = verificationEventsOf(events).filter((e) => e.type === 'script.step');
    expect(carried.map((e) => e.via)).toEqual(['next', 'suggested', 'jump']);
    expect(toVideoTime(carried[0]!, 1000).at).toBe(carried[0]!.at - 1000);

    // and ignored by everything the report is made from
    expect(originalReport('query', events)).toEqual(originalReport('query', without));
    expect(originalReport('query', events)).not.toBeNull();
    const offset = events[0]!.at;
    const live = report!.report;
    const a = withCallOutcomes(live, verificationEventsOf(events).map((e) => toVideoTime(e, offset)));
    const b = withCallOutcomes(live, verificationEventsOf(without).map((e) => toVideoTime(e, offset)));
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(a.spokenCode.status).toBe('pass');
  });
});
