import Database from 'better-sqlite3';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GENESIS_HASH } from '../../../src/shared/cases';
import { encrypt } from '../../../src/main/caselog/encryption';
import { deriveKeys } from '../../../src/main/caselog/keys';
import { MIGRATIONS, SCHEMA_VERSION } from '../../../src/main/caselog/migrations';
import { silentLogger } from '../../../src/main/log/logger';
import { RecordingService } from '../../../src/main/recording/recording-service';
import { keyProvider, openStore, tempDir } from './helpers';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir('vd-rec-mig-')));
afterEach(() => cleanup());

describe('recordings migration (v1 → v2)', () => {
  it('keeps legacy whole-file recordings readable and purgeable', async () => {
    const legacyId = '11111111-2222-3333-4444-555555555555';
    const data = Buffer.alloc(5000, 9);
    const digest = (await import('node:crypto')).createHash('sha256').update(data).digest('hex');
    const v1 = new Database(join(dir, 'cases.db'));
    v1.exec(MIGRATIONS[0]!.sql);
    v1.pragma('user_version = 1');
    v1.prepare('INSERT INTO cases (case_id, agent_id, service_type, opened_at, last_hash) VALUES (?, ?, ?, ?, ?)').run('case-1', 'a', 'operate', 1000, GENESIS_HASH);
    v1.prepare('INSERT INTO recordings (recording_id, case_id, file, sha256, bytes, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(legacyId, 'case-1', `${legacyId}.vdr`, digest, data.length, 1000);
    v1.close();
    mkdirSync(join(dir, 'recordings'));
    const file = join(dir, 'recordings', `${legacyId}.vdr`);
    writeFileSync(file, encrypt(deriveKeys(keyProvider()).dataKey, data, `recording:${legacyId}`));

    const store = openStore(dir);
    try {
      expect(store.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      const svc = new RecordingService({ store, log: silentLogger });
      expect(svc.info()).toEqual([expect.objectContaining({ recordingId: legacyId, format: 'vdr1', state: 'stopped', bytes: 5000, sha256: digest })]);
      expect(svc.list()).toEqual([]);
      expect((await svc.readPlayable(legacyId)).equals(data)).toBe(true);
      expect(store.purgeBiometrics(0)).toMatchObject({ recordingsPurged: 1 });
      expect(existsSync(file)).toBe(false);
      await expect(svc.readPlayable(legacyId)).rejects.toThrow(/purged/);
    } finally {
      store.close();
    }
  });
});
