import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CaseStore } from '../../../src/main/caselog/store';
import { FileKeyProvider, StaticKeyProvider } from '../../../src/main/caselog/key-provider';
import { decrypt, encrypt } from '../../../src/main/caselog/encryption';
import { canonicalJson } from '../../../src/main/caselog/canonical';
import { buildExport, verifyBundle } from '../../../src/main/caselog/export-bundle';
import { idCheckDigit, isValidIdNumber, maskIdNumber } from '../../../src/main/caselog/id-number';
import { SCHEMA_VERSION } from '../../../src/main/caselog/migrations';
import { RecordingService } from '../../../src/main/recording/recording-service';
import { silentLogger } from '../../../src/main/log/logger';

const RAW_ID = `11010519491231002${idCheckDigit('11010519491231002')}`;

let dir: string;
let store: CaseStore;
const key = new StaticKeyProvider(Buffer.alloc(32, 7));

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vd-store-'));
  store = CaseStore.open({ path: join(dir, 'cases.db'), keyProvider: key });
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

function makeCase(n = 3) {
  const c = store.openCase({ agentId: 'agent-7', serviceType: 'transact', idNumber: RAW_ID, customerRef: 'CUST-1' });
  for (let i = 0; i < n; i++) store.append({ caseId: c.caseId, type: 'check.result', actor: 'engine', payload: { check: 'face_match', status: 'pass', score: 0.81 + i / 100 } });
  store.closeCase(c.caseId, { verdict: 'verified', actor: 'agent-7' });
  return c.caseId;
}

describe('case store', () => {
  it('migrates through user_version and uses WAL', () => {
    expect(store.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
  });

  it('canonical encoding is key-order independent', () => {
    expect(canonicalJson({ b: 1, a: [1, { d: 'x', c: null }] })).toBe(canonicalJson({ a: [1, { c: null, d: 'x' }], b: 1 }));
    expect(() => canonicalJson({ a: Number.NaN })).toThrow();
  });

  it('chains events and the triggers refuse UPDATE and DELETE', () => {
    const id = makeCase();
    const events = store.events(id);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(events[1]?.prevHash).toBe(events[0]?.hash);
    expect(() => store.db.prepare("UPDATE events SET actor = 'x' WHERE case_id = ?").run(id)).toThrow(/append-only/);
    expect(() => store.db.prepare('DELETE FROM events WHERE case_id = ?').run(id)).toThrow(/append-only/);
    expect(store.verify()).toMatchObject({ ok: true, casesChecked: 1, eventsChecked: 5 });
    expect(store.pendingCount()).toBe(5);
  });

  it('never stores the raw ID number; masks it and finds cases by keyed hash', () => {
    const id = makeCase();
    expect(isValidIdNumber(RAW_ID)).toBe(true);
    expect(store.summary(id).idNumberMasked).toBe(maskIdNumber(RAW_ID));
    expect(store.findByIdNumber(RAW_ID).map((c) => c.caseId)).toEqual([id]);
    store.db.pragma('wal_checkpoint(TRUNCATE)');
    for (const f of readdirSync(dir)) {
      const p = join(dir, f);
      if (statSync(p).isFile()) expect(readFileSync(p).includes(Buffer.from(RAW_ID)), f).toBe(false);
    }
  });

  it('verify names the exact case and seq after an edit that bypasses the triggers', () => {
    makeCase();
    const id = makeCase();
    store.close();
    const raw = new Database(join(dir, 'cases.db'));
    raw.exec('DROP TRIGGER events_no_update');
    raw.prepare(`UPDATE events SET payload = '{"check":"face_match","score":0.99,"status":"pass"}' WHERE case_id = ? AND seq = 3`).run(id);
    raw.close();
    store = CaseStore.open({ path: join(dir, 'cases.db'), keyProvider: key });
    const report = store.verify();
    expect(report.ok).toBe(false);
    expect(report.breaks).toEqual([expect.objectContaining({ caseId: id, seq: 3, reason: 'CHAIN_HASH_MISMATCH' })]);
  });

  it('verify names the missing seq after a deletion through writable_schema-free raw delete', () => {
    const id = makeCase();
    store.close();
    const raw = new Database(join(dir, 'cases.db'));
    raw.exec('DROP TRIGGER events_no_delete');
    raw.prepare('DELETE FROM events WHERE case_id = ? AND seq = 2').run(id);
    raw.prepare('DELETE FROM events WHERE case_id = ? AND seq = 5').run(id);
    raw.close();
    store = CaseStore.open({ path: join(dir, 'cases.db'), keyProvider: key });
    // the case names its first gap; the ledger names both missing global positions (seq 2 and 5 are gseq 2 and 5)
    expect(store.verify().breaks).toEqual([
      expect.objectContaining({ caseId: id, seq: 2, reason: 'CHAIN_GAP' }),
      expect.objectContaining({ caseId: '', reason: 'LEDGER_GAP', gseqFrom: 2, gseqTo: 2 }),
      expect.objectContaining({ caseId: '', reason: 'LEDGER_GAP', gseqFrom: 5, gseqTo: 5 }),
    ]);
  });

  it('detects a deleted tail event through the case head', () => {
    const id = makeCase();
    store.close();
    const raw = new Database(join(dir, 'cases.db'));
    raw.exec('DROP TRIGGER events_no_delete');
    raw.prepare('DELETE FROM events WHERE case_id = ? AND seq = 5').run(id);
    raw.close();
    store = CaseStore.open({ path: join(dir, 'cases.db'), keyProvider: key });
    expect(store.verify().breaks).toEqual([
      expect.objectContaining({ caseId: id, seq: 5, reason: 'CHAIN_TRUNCATED' }),
      // the keyed head still records position 5
      expect.objectContaining({ caseId: '', reason: 'LEDGER_GAP', gseqFrom: 5, gseqTo: 5 }),
    ]);
  });

  it('encrypts evidence at rest; wrong key or tampering is a clear error', () => {
    const id = store.openCase({ agentId: 'a', serviceType: 'query' }).caseId;
    const crop = Buffer.from('FACE-CROP-PIXELS-'.repeat(20));
    const { evidenceId } = store.addEvidence(id, { kind: 'face_crop', data: crop, actor: 'engine' });
    expect(store.readEvidence(evidenceId)).toEqual(crop);
    const row = store.db.prepare('SELECT ciphertext FROM evidence').get() as { ciphertext: Buffer };
    expect(row.ciphertext.includes(Buffer.from('FACE-CROP'))).toBe(false);
    const k = Buffer.alloc(32, 1);
    const blob = encrypt(k, Buffer.from('hello'), 'x');
    expect(() => decrypt(Buffer.alloc(32, 2), blob, 'x')).toThrow(/wrong key or the data was tampered/);
    blob[blob.length - 1]! ^= 1;
    expect(() => decrypt(k, blob, 'x')).toThrow(/wrong key or the data was tampered/);
    expect(() => decrypt(k, Buffer.from('nope'), 'x')).toThrow(/not in VeriDesk format/);
    store.close();
    expect(() => CaseStore.open({ path: join(dir, 'cases.db'), keyProvider: new StaticKeyProvider(Buffer.alloc(32, 8)) })).toThrow(/key does not match/);
    store = CaseStore.open({ path: join(dir, 'cases.db'), keyProvider: key });
  });

  it('key file provider creates a 0600 key and refuses a readable or damaged one', () => {
    const p = join(dir, 'keys', 'master.key');
    const provider = new FileKeyProvider(p);
    expect(provider.getMasterKey()).toHaveLength(32);
    expect(statSync(p).mode & 0o777).toBe(0o600);
    chmodSync(p, 0o644);
    expect(() => new FileKeyProvider(p).getMasterKey()).toThrow(/readable by others/);
    writeFileSync(p, 'garbage', { mode: 0o600 });
    chmodSync(p, 0o600);
    expect(() => new FileKeyProvider(p).getMasterKey()).toThrow(/32-byte hex key/);
  });

  it('retention purges biometric payloads, keeps the audit events, records the purge', async () => {
    let now = Date.UTC(2025, 0, 1);
    store.close();
    store = CaseStore.open({ path: join(dir, 'cases.db'), keyProvider: key, now: () => now });
    const id = store.openCase({ agentId: 'a', serviceType: 'operate' }).caseId;
    const { evidenceId } = store.addEvidence(id, { kind: 'embedding', data: Buffer.alloc(2048, 3), actor: 'engine' });
    const recorder = new RecordingService({ store, log: silentLogger, now: () => now });
    const { recordingId } = recorder.start({ caseId: id, callId: 'call-0001', track: 'customer', mimeType: 'video/webm', startedAt: now, actor: 'recorder' });
    recorder.appendChunk(recordingId, 0, Buffer.alloc(4096, 5));
    await recorder.stop(recordingId);
    const file = join(dir, 'recordings', `${recordingId}.vdrs`);
    expect(statSync(file).size).toBeGreaterThan(4096);
    store.closeCase(id, { verdict: 'verified', actor: 'a' });
    now += 10 * 86_400_000;
    expect(store.purgeBiometrics(30)).toMatchObject({ evidencePurged: 0, recordingsPurged: 0 });
    now += 25 * 86_400_000;
    expect(store.purgeBiometrics(30)).toMatchObject({ evidencePurged: 1, recordingsPurged: 1, cases: 1 });
    expect(store.readEvidence(evidenceId)).toBeNull();
    await expect(recorder.readPlayable(recordingId)).rejects.toThrow(/purged/);
    expect(() => statSync(file)).toThrow();
    const events = store.events(id);
    expect(events.at(-1)).toMatchObject({ type: 'biometric.purged', payload: { policyDays: 30, evidenceIds: [evidenceId], recordingIds: [recordingId] } });
    expect(events.map((e) => e.type)).toContain('evidence.added');
    expect(store.verify().ok).toBe(true);
  });

  it('exports a signed bundle that verifies offline and fails when tampered', () => {
    const a = makeCase();
    makeCase(1);
    const bundle = buildExport(store);
    const text = JSON.stringify(bundle);
    expect(text.includes(RAW_ID)).toBe(false);
    const good = verifyBundle(JSON.parse(text), { expectFingerprint: bundle.signer.fingerprint });
    expect(good).toMatchObject({ ok: true, signatureValid: true, fingerprintMatches: true, casesChecked: 2 });
    expect(verifyBundle(JSON.parse(text), { expectFingerprint: 'ab:cd' }).ok).toBe(false);

    const forged = JSON.parse(text) as typeof bundle;
    const c = forged.cases.find((x) => x.summary.caseId === a)!;
    (c.events[2]!.payload as Record<string, unknown>).score = 0.1;
    const bad = verifyBundle(forged);
    expect(bad.signatureValid).toBe(false);
    expect(bad.breaks).toEqual([expect.objectContaining({ caseId: a, seq: 3, reason: 'CHAIN_HASH_MISMATCH' })]);
    expect(verifyBundle({ hello: 1 }).error).toMatch(/not a VeriDesk export bundle/);
  });
});
