/**
 * The shift log in a real cases.db: migration 6 applied by CaseStore, each shift's chain and seals verify, and an
 * edited, re-hashed or cut row is caught by name. The enrolment is stored encrypted (no embedding bytes in clear)
 * and bound to its agent id.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION } from '../../../src/main/caselog/migrations';
import { silentLogger } from '../../../src/main/log/logger';
import { shiftEventHash } from '../../../src/main/shift/shift-chain';
import type { ShiftLog } from '../../../src/main/shift/shift-log';
import { ShiftService } from '../../../src/main/shift/shift-service';
import { harness, type Harness } from './shift-support';

let h: Harness;
beforeEach(() => {
  h = harness({ engine: null });
});
afterEach(() => h.close());

function shiftWithChecks(): string {
  const shift = h.log.start('agent-7', { faceCheck: { enabled: true } });
  h.log.append(shift.shiftId, 'shift.face_check', { checkId: 'c1', kind: 'sign_in', result: 'pass', score: 0.81, threshold: 0.42, band: 'match', modelSha256: 'a'.repeat(64), facesPerFrame: [1, 1], at: 2 });
  h.log.append(shift.shiftId, 'shift.face_check', { checkId: 'c2', kind: 'random', result: 'fail', score: 0.1, threshold: 0.42, band: 'mismatch', modelSha256: 'a'.repeat(64), facesPerFrame: [1], at: 3 });
  h.log.end(shift.shiftId, 'signed_out');
  return shift.shiftId;
}

describe('shift log', () => {
  it('is part of the case log schema and verifies a whole shift', () => {
    expect(SCHEMA_VERSION).toBeGreaterThanOrEqual(6);
    const shiftId = shiftWithChecks();
    expect(h.log.events(shiftId).map((e) => [e.seq, e.type])).toEqual([
      [1, 'shift.started'],
      [2, 'shift.face_check'],
      [3, 'shift.face_check'],
      [4, 'shift.ended'],
    ]);
    expect(h.log.verify(shiftId)).toEqual({ ok: true, brokenAt: null, reason: null });
    const [entry] = h.log.history();
    expect(entry).toMatchObject({ shiftId, endReason: 'signed_out', chain: { ok: true } });
    expect(entry!.checks.map((c) => c.result)).toEqual(['pass', 'fail']);
    // no customer case was touched
    expect(h.store.listCases({})).toEqual([]);
  });

  it('refuses updates and deletes through SQL (append-only triggers)', () => {
    const shiftId = shiftWithChecks();
    expect(() => h.store.db.prepare("UPDATE shift_events SET payload = '{}' WHERE shift_id = ? AND seq = 2").run(shiftId)).toThrow(/append-only/);
    expect(() => h.store.db.prepare('DELETE FROM shift_events WHERE shift_id = ?').run(shiftId)).toThrow(/append-only/);
  });

  it('catches an edited row (hash), a row re-hashed without the key (seal) and a cut tail (head)', () => {
    const shiftId = shiftWithChecks();
    h.store.db.exec('DROP TRIGGER shift_events_no_update; DROP TRIGGER shift_events_no_delete;');

    // a failed check turned into a pass
    const failed = h.log.events(shiftId)[2]!;
    h.store.db.prepare('UPDATE shift_events SET payload = ? WHERE shift_id = ? AND seq = 3').run(JSON.stringify({ ...failed.payload, result: 'pass' }), shiftId);
    expect(h.log.verify(shiftId)).toEqual({ ok: false, brokenAt: 3, reason: 'HASH_MISMATCH' });
    expect(h.log.history()[0]!.chain).toMatchObject({ ok: false, brokenAt: 3 });

    // the same edit with the hash recomputed (anyone can): the next row's link and the seal still give it away
    const edited = { ...failed, payload: { ...failed.payload, result: 'pass' } };
    const hash = shiftEventHash(edited);
    h.store.db.prepare('UPDATE shift_events SET hash = ? WHERE shift_id = ? AND seq = 3').run(hash, shiftId);
    expect(h.log.verify(shiftId)).toMatchObject({ ok: false, brokenAt: 3, reason: 'SEAL_MISMATCH' });
  });

  it('catches events cut off the end of a shift', () => {
    const shiftId = shiftWithChecks();
    h.store.db.exec('DROP TRIGGER shift_events_no_delete;');
    h.store.db.prepare('DELETE FROM shift_events WHERE shift_id = ? AND seq >= 3').run(shiftId);
    expect(h.log.verify(shiftId)).toEqual({ ok: false, brokenAt: 4, reason: 'HEAD_MISMATCH' });
  });

  it('closes a shift the app never ended (a crash) at the next start', () => {
    const shift = h.log.start('agent-7');
    expect(h.log.openShifts().map((s) => s.shiftId)).toEqual([shift.shiftId]);
    h.service.close();
    const again = harnessOn(h);
    expect(again.openShifts()).toEqual([]);
    expect(again.history()[0]).toMatchObject({ shiftId: shift.shiftId, endReason: 'not_closed', chain: { ok: true } });
  });

  it('keeps the enrolment encrypted and bound to its agent id', () => {
    const embedding = Float32Array.from({ length: 512 }, (_, i) => Math.sin(i + 1));
    h.enrolments.save({ agentId: 'agent-7', embedding, modelSha256: 'b'.repeat(64), enrolledAt: 5 });
    expect(Array.from(h.enrolments.load('agent-7')!.embedding)).toEqual(Array.from(embedding));
    h.store.db.pragma('wal_checkpoint(TRUNCATE)');
    const file = readFileSync(join(h.dir, 'cases.db'));
    expect(file.includes(Buffer.from(embedding.buffer).subarray(0, 64))).toBe(false);
    // the sealed row copied to another agent id does not decrypt
    h.store.db.prepare("INSERT INTO shift_enrolments (agent_id, embedding, model_sha256, enrolled_at) SELECT 'agent-8', embedding, model_sha256, enrolled_at FROM shift_enrolments WHERE agent_id = 'agent-7'").run();
    expect(() => h.enrolments.load('agent-8')).toThrow(/decrypt/);
    // re-enrolment replaces it
    h.enrolments.save({ agentId: 'agent-7', embedding: new Float32Array(512).fill(0.5), modelSha256: 'b'.repeat(64), enrolledAt: 6 });
    expect(h.enrolments.load('agent-7')).toMatchObject({ enrolledAt: 6 });
    expect(h.store.db.prepare('SELECT COUNT(*) AS n FROM shift_enrolments').get()).toEqual({ n: 2 });
  });
});

/** A second ShiftService on the same database, as at the next app start: constructing it closes shifts left open. */
function harnessOn(previous: Harness): ShiftLog {
  new ShiftService({
    log: previous.log,
    enrolments: previous.enrolments,
    engine: null,
    settings: () => previous.settings,
    setAgentId: async () => undefined,
    queue: () => null,
    emit: () => undefined,
    notice: () => undefined,
    logger: silentLogger,
    random: () => 0.5,
  }).close();
  return previous.log;
}
