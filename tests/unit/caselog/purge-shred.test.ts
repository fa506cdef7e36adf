/**
 * Retention purge as crypto-shredding (issue 10 item 3): after a purge, no 64-byte sample of the purged
 * ciphertexts or wrapped keys taken before it is anywhere in cases.db, its WAL or the recordings folder, and a
 * copy of a recording taken before the purge no longer decrypts, even put back by someone with the master key.
 */
import Database from 'better-sqlite3';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StaticKeyProvider } from '../../../src/main/caselog/key-provider';
import { seedCases } from '../../../src/main/caselog/seed';
import { CaseStore } from '../../../src/main/caselog/store';
import { silentLogger } from '../../../src/main/log/logger';
import { RecordingService } from '../../../src/main/recording/recording-service';

const DAY = 86_400_000;
let dir: string;
let path: string;
let now: number;
let store: CaseStore;
let recorder: RecordingService;
const key = new StaticKeyProvider(Buffer.alloc(32, 4));

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vd-purge-'));
  path = join(dir, 'cases.db');
  now = Date.UTC(2026, 0, 1);
  store = CaseStore.open({ path, keyProvider: key, now: () => now });
  recorder = new RecordingService({ store, log: silentLogger, now: () => now });
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Every file a purged byte could survive in. */
function storageFiles(): string[] {
  const files = [path, `${path}-wal`, `${path}-shm`].filter((f) => existsSync(f));
  const rec = join(dir, 'recordings');
  if (existsSync(rec)) for (const f of readdirSync(rec)) files.push(join(rec, f));
  return files;
}

const sampleOf = (b: Buffer, at: number): Buffer => Buffer.from(b.subarray(at, at + 64));

describe('purge shreds biometric data', () => {
  it('leaves no 64-byte sample of purged ciphertext or wrapped keys in the database, its WAL or the recordings folder', async () => {
    // old cases with evidence and recordings, and newer ones the purge must keep
    const today = now;
    now = today - 40 * DAY;
    seedCases(store, { count: 6, seed: 3, now, days: 1, evidence: { items: 2, recordingEvery: 2, recorder } });
    now = today;
    seedCases(store, { count: 2, seed: 4, now, days: 0, evidence: { items: 1, recordingEvery: 1, recorder } });
    const raw = new Database(path, { readonly: true });
    const oldEvidence = raw.prepare('SELECT evidence_id, ciphertext, wrapped_key FROM evidence WHERE created_at < ?').all(now - 30 * DAY) as { evidence_id: string; ciphertext: Buffer; wrapped_key: Buffer }[];
    const keptEvidence = raw.prepare('SELECT evidence_id FROM evidence WHERE created_at >= ?').all(now - 30 * DAY) as { evidence_id: string }[];
    const oldRecordings = raw.prepare('SELECT recording_id, file, wrapped_key FROM recordings WHERE created_at < ?').all(now - 30 * DAY) as { recording_id: string; file: string; wrapped_key: Buffer }[];
    raw.close();
    expect(oldEvidence).toHaveLength(12);
    expect(oldRecordings).toHaveLength(3);
    expect(keptEvidence).toHaveLength(2);

    const samples: { what: string; bytes: Buffer }[] = [];
    for (const e of oldEvidence) {
      samples.push({ what: `evidence ${e.evidence_id} ciphertext`, bytes: sampleOf(e.ciphertext, 32 + (e.ciphertext.length - 96) / 2) });
      samples.push({ what: `evidence ${e.evidence_id} wrapped key`, bytes: e.wrapped_key });
    }
    const copies = mkdtempSync(join(tmpdir(), 'vd-purge-copy-'));
    for (const r of oldRecordings) {
      const file = join(dir, r.file);
      const bytes = readFileSync(file);
      samples.push({ what: `recording ${r.recording_id} file`, bytes: sampleOf(bytes, Math.floor(bytes.length / 2)) });
      samples.push({ what: `recording ${r.recording_id} wrapped key`, bytes: r.wrapped_key });
      copyFileSync(file, join(copies, r.recording_id));
    }
    expect(samples.every((s) => s.bytes.length === 64)).toBe(true);
    // the check itself finds them before the purge
    const found = (s: { bytes: Buffer }) => storageFiles().some((f) => readFileSync(f).includes(s.bytes));
    expect(samples.filter(found).length).toBe(samples.length);

    const report = store.purgeBiometrics(30);
    expect(report).toMatchObject({ evidencePurged: 12, recordingsPurged: 3, cases: 6 });

    const survivors = samples.filter(found).map((s) => s.what);
    expect(survivors).toEqual([]);
    // the WAL was truncated by the purge
    expect(existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0).toBe(0);
    for (const r of oldRecordings) expect(existsSync(join(dir, r.file))).toBe(false);
    // the newer evidence is untouched
    for (const e of keptEvidence) expect(store.readEvidence(e.evidence_id)?.length).toBeGreaterThan(0);
    expect(store.verify().ok).toBe(true);

    // a copy of a recording taken before the purge, put back with its row restored by someone holding the
    // master key and write access to the database, still does not decrypt: its own key is gone
    const r = oldRecordings[0]!;
    copyFileSync(join(copies, r.recording_id), join(dir, r.file));
    store.db.prepare('UPDATE recordings SET purged_at = NULL WHERE recording_id = ?').run(r.recording_id);
    await expect(recorder.readPlayable(r.recording_id)).rejects.toThrow(/no key \(purged\)/);
    // and a saved evidence ciphertext decrypts neither with the data key nor any other way the store knows
    const e = oldEvidence[0]!;
    store.db.prepare('UPDATE evidence SET purged_at = NULL WHERE evidence_id = ?').run(e.evidence_id);
    expect(() => store.decryptEvidence(e.evidence_id, e.ciphertext)).toThrow(/cannot decrypt/);
    rmSync(copies, { recursive: true, force: true });
  });

  it('before the purge, a copy decrypts: the test above can fail', async () => {
    seedCases(store, { count: 1, seed: 5, now, days: 0, evidence: { items: 1, recordingEvery: 1, recorder } });
    const r = store.db.prepare('SELECT recording_id FROM recordings').get() as { recording_id: string };
    expect((await recorder.readPlayable(r.recording_id)).length).toBe(8192);
    const e = store.db.prepare('SELECT evidence_id, ciphertext FROM evidence').get() as { evidence_id: string; ciphertext: Buffer };
    expect(store.decryptEvidence(e.evidence_id, e.ciphertext).length).toBe(2048);
  });
});
