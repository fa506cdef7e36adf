import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildExport, signExport, verifyBundle, type ExportBundle } from '../../../src/main/caselog/export-bundle';
import { importBundle } from '../../../src/main/console/bundle-import';
import { ImportStore } from '../../../src/main/console/import-store';
import { listFacts } from '../../../src/main/console/facts-list';
import { silentLogger } from '../../../src/main/log/logger';
import { RecordingService } from '../../../src/main/recording/recording-service';
import { tempStore, writeKnownCases, type TempStore } from './fixtures';

let agent: TempStore;
let lead: TempStore;
let imports: ImportStore;
beforeEach(() => {
  agent = tempStore('vd-agent-');
  lead = tempStore('vd-lead-');
  imports = ImportStore.open(join(lead.dir, 'console.db'));
  writeKnownCases(agent.store);
});
afterEach(() => {
  imports.close();
  agent.cleanup();
  lead.cleanup();
});

const ctx = (pinned: string[] = []) => ({ store: imports, pinned, idHash: (t: string) => lead.store.idHash(t), now: 1 });
const b64 = (bundle: unknown) => Buffer.from(JSON.stringify(bundle)).toString('base64');
const importedIds = () => (imports.db.prepare('SELECT case_id FROM imported_cases ORDER BY case_id').pluck().all() as string[]);

describe('console.importBundle', () => {
  it('refuses a forged bundle (content changed after signing) with the reason, and stores nothing', async () => {
    const bundle = buildExport(agent.store);
    const forged = JSON.parse(JSON.stringify(bundle)) as ExportBundle;
    // turn an override into an agreement
    const k2 = forged.cases.find((c) => c.summary.caseId === 'k2')!;
    const decision = k2.events.find((e) => e.type === 'decision.made')!;
    decision.payload.against = false;
    const result = await importBundle({ bytes: b64(forged), fingerprint: bundle.signer.fingerprint }, ctx());
    expect(result).toMatchObject({ ok: false, reason: 'signature_invalid', fingerprint: bundle.signer.fingerprint });
    expect(importedIds()).toEqual([]);
  });

  it('refuses a bundle re-signed by another key, even with valid chains', async () => {
    const bundle = buildExport(agent.store);
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const resigned = signExport({ workstationId: bundle.workstationId, signingKey: privateKey, publicKey }, bundle.cases);
    expect(verifyBundle(resigned, { expectFingerprint: resigned.signer.fingerprint }).ok).toBe(true);
    const result = await importBundle({ bytes: b64(resigned), fingerprint: bundle.signer.fingerprint }, ctx());
    expect(result).toMatchObject({ ok: false, reason: 'fingerprint_mismatch' });
    expect(importedIds()).toEqual([]);
  });

  it('refuses an unpinned signer: a valid signature alone proves nothing', async () => {
    const bundle = buildExport(agent.store);
    const result = await importBundle({ bytes: b64(bundle) }, ctx());
    expect(result).toMatchObject({ ok: false, reason: 'signer_not_pinned', fingerprint: bundle.signer.fingerprint });
    expect(importedIds()).toEqual([]);
  });

  it('refuses what is not a bundle', async () => {
    expect(await importBundle({ bytes: Buffer.from('{"hello":1}').toString('base64') }, ctx())).toMatchObject({ ok: false, reason: 'not_a_bundle' });
    expect(await importBundle({ bytes: Buffer.from('not json').toString('base64') }, ctx())).toMatchObject({ ok: false, reason: 'not_a_bundle' });
    expect(await importBundle({ path: join(lead.dir, 'missing.json') }, ctx())).toMatchObject({ ok: false, reason: 'unreadable' });
  });

  it('accepts a pinned signer (typed or pinned before), with facts equal to the source’s, and recognises a re-import', async () => {
    const bundle = buildExport(agent.store);
    const file = join(lead.dir, 'bundle.json');
    writeFileSync(file, JSON.stringify(bundle));
    const typed = await importBundle({ path: file, fingerprint: bundle.signer.fingerprint.replace(/:/g, '').toUpperCase() }, ctx());
    expect(typed).toMatchObject({ ok: true, cases: 9, imported: 9, fingerprint: bundle.signer.fingerprint, workstationId: agent.store.workstationId });
    expect(importedIds()).toHaveLength(9);
    const source = { db: imports.db, source: 'bundle' as const, idHash: (t: string) => lead.store.idHash(t), workstationOf: (ids: readonly string[]) => imports.workstationOf(ids) };
    const disagreeing = listFacts(source, { disagreement: true }, null, 50).rows;
    expect(disagreeing.map((r) => r.caseId).sort()).toEqual(['k2', 'k4', 'k9']);
    expect(disagreeing[0]!.workstationId).toBe(agent.store.workstationId);
    // the customer reference is searchable under the lead's own key
    expect(listFacts(source, { customerRef: 'CUST-0001' }, null, 5).rows.map((r) => r.caseId)).toEqual(['k1']);
    // the same file again: nothing new; a later bundle extending a case updates it
    expect(await importBundle({ path: file }, ctx([bundle.signer.fingerprint]))).toMatchObject({ ok: true, imported: 0, unchanged: 9 });
    agent.store.append({ caseId: 'k3', type: 'note.added', actor: 'a1', payload: { note: 'called back' } });
    agent.store.applyReview({ reviewId: 77, caseId: 'k3', outcome: 'overturned', reviewer: 'lead-02', note: '', createdAt: 5 });
    const later = await importBundle({ bytes: b64(buildExport(agent.store)) }, ctx([bundle.signer.fingerprint]));
    expect(later).toMatchObject({ ok: true, imported: 0, updated: 1, unchanged: 8, conflicts: [] });
    expect(listFacts(source, { caseId: 'k3' }, null, 1).rows[0]!.reviewOutcome).toBe('overturned');
  });

  it('the console reads imported cases through a read-only connection', () => {
    expect(() => imports.db.prepare("INSERT INTO bundle_imports (file_sha256, signer_fingerprint, workstation_id, bundle_created_at, imported_at, cases) VALUES ('x', 'y', 'z', 1, 1, 0)").run()).toThrow(/readonly/i);
  });
});

describe('export bundle with reviews and recording references', () => {
  it('carries the case’s reviews and its recordings’ ids, sha256 and duration, never the media, under the signature', async () => {
    const c = agent.store.openCase({ caseId: 'rec-1', agentId: 'a1', serviceType: 'transact' });
    const recordings = new RecordingService({ store: agent.store, log: silentLogger });
    const { recordingId } = recordings.start({ caseId: c.caseId, callId: 'call-1', track: 'customer', mimeType: 'video/webm', startedAt: 1000, actor: 'recorder' });
    const media = Buffer.alloc(4096, 0x5a);
    recordings.appendChunk(recordingId, 0, media);
    recordings.stopSync(recordingId);
    agent.store.closeCase(c.caseId, { verdict: 'verified', actor: 'a1' });
    agent.store.applyReview({ reviewId: 9, caseId: c.caseId, outcome: 'process_not_followed', reviewer: 'lead-01', note: '[qa:script_compliance]\nno greeting', createdAt: 7 });
    const bundle = buildExport(agent.store, { caseIds: ['rec-1', 'k8'] });
    const rec = bundle.cases[0]!;
    expect(rec.reviews).toEqual([{ reviewId: 9, caseId: 'rec-1', outcome: 'process_not_followed', reviewer: 'lead-01', note: '[qa:script_compliance]\nno greeting', createdAt: 7 }]);
    expect(rec.recordings).toEqual([expect.objectContaining({ recordingId, callId: 'call-1', track: 'customer', state: 'stopped', sha256: expect.stringMatching(/^[0-9a-f]{64}$/), bytes: 4096, purged: false })]);
    expect(rec.recordings![0]).toHaveProperty('durationMs');
    expect(bundle.cases[1]!.reviews).toEqual([expect.objectContaining({ reviewId: 1, outcome: 'confirmed' })]);
    expect(JSON.stringify(bundle)).not.toContain(media.toString('base64').slice(0, 40));
    expect(verifyBundle(bundle, { expectFingerprint: bundle.signer.fingerprint }).ok).toBe(true);
    // the references are signed: swapping a digest breaks the signature
    const swapped = JSON.parse(JSON.stringify(bundle)) as ExportBundle;
    swapped.cases[0]!.recordings![0]!.sha256 = '0'.repeat(64);
    expect(verifyBundle(swapped, { expectFingerprint: bundle.signer.fingerprint })).toMatchObject({ ok: false, signatureValid: false });
    // and the pinned-signer rule stands: no pin, not OK
    expect(verifyBundle(bundle).ok).toBe(false);
  });
});
