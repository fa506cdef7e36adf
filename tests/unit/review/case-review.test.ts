/**
 * cases.get / cases.evidenceImage / cases.recordings over a real case log: the chain's verdict (and a tampered
 * event named by seq and reason), evidence only of the case asked and only pictures, and media URLs whose token
 * opens exactly that recording.
 */
import Database from 'better-sqlite3';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CaseStore } from '../../../src/main/caselog/store';
import { silentLogger } from '../../../src/main/log/logger';
import { RecordingService } from '../../../src/main/recording/recording-service';
import { CaseReviewService, mediaUrlFor } from '../../../src/main/review/case-review';
import { MediaTokens } from '../../../src/main/review/media-token';
import { parseRange } from '../../../src/common/byte-range';
import { AppFailure } from '../../../src/shared/errors';
import { testdata } from '../../support/testdata';
import { openCase, openStore, tempDir } from './helpers';

let dir: string;
let cleanup: () => void;
let store: CaseStore;
let recordings: RecordingService;
let tokens: MediaTokens;
let review: CaseReviewService;

beforeEach(() => {
  ({ dir, cleanup } = tempDir('vd-case-review-'));
  store = openStore(dir);
  recordings = new RecordingService({ store, log: silentLogger });
  tokens = new MediaTokens();
  review = new CaseReviewService({ store, recordings, tokens, mediaUrl: mediaUrlFor('host', 'app://veridesk') });
});
afterEach(() => {
  store.close();
  cleanup();
});

function failure(fn: () => unknown): AppFailure {
  try {
    fn();
  } catch (error) {
    if (error instanceof AppFailure) return error;
    throw error;
  }
  throw new Error('expected an AppFailure');
}

const JPEG = () => readFileSync(testdata('faces/video/still-photo-attack_source.jpg'));

describe('case review', () => {
  it('gives the summary, every event in order and an intact chain', () => {
    const caseId = openCase(store);
    store.append({ caseId, type: 'check.result', actor: 'system', payload: { type: 'check.changed', at: 1, check: { id: 'face_match', status: 'pass', reason: 'match_band' } } });
    store.append({ caseId, type: 'decision.made', actor: 'agent-7', payload: { decision: 'pass', advice: 'pass', against: false, reasonCode: null } });
    const got = review.get(caseId);
    expect(got.summary.caseId).toBe(caseId);
    expect(got.events.map((e) => [e.seq, e.type])).toEqual([
      [1, 'case.opened'],
      [2, 'check.result'],
      [3, 'decision.made'],
    ]);
    expect(got.chain).toEqual({ ok: true, break: null });
    expect(failure(() => review.get('no-such-case')).code).toBe('NOT_FOUND');
  });

  it('names the seq and the reason when an event was rewritten in the database file', () => {
    const caseId = openCase(store);
    store.append({ caseId, type: 'decision.made', actor: 'agent-7', payload: { decision: 'fail', advice: 'fail', against: false, reasonCode: null } });
    store.append({ caseId, type: 'note.added', actor: 'agent-7', payload: { note: 'ok' } });
    const raw = new Database(join(dir, 'cases.db'));
    raw.exec('DROP TRIGGER IF EXISTS events_no_update');
    raw.prepare("UPDATE events SET payload = ? WHERE case_id = ? AND seq = 2").run(JSON.stringify({ decision: 'pass', advice: 'fail', against: true, reasonCode: null }), caseId);
    raw.close();
    const { chain } = review.get(caseId);
    expect(chain.ok).toBe(false);
    expect(chain.break).toMatchObject({ caseId, seq: 2, reason: 'CHAIN_HASH_MISMATCH' });
  });

  it('decrypts evidence images of the case asked only, and never an embedding', () => {
    const caseId = openCase(store);
    const other = openCase(store);
    const jpeg = JPEG();
    const frame = store.addEvidence(caseId, { kind: 'frame', data: jpeg, actor: 'system' });
    const embedding = store.addEvidence(caseId, { kind: 'embedding', data: Buffer.alloc(512, 1), actor: 'system' });
    const foreign = store.addEvidence(other, { kind: 'frame', data: jpeg, actor: 'system' });
    const before = readdirSync(dir).sort();

    const image = review.evidenceImage(caseId, frame.evidenceId);
    expect(image.mime).toBe('image/jpeg');
    expect(Buffer.from(image.data, 'base64').equals(jpeg)).toBe(true);
    expect(failure(() => review.evidenceImage(caseId, foreign.evidenceId)).code).toBe('NOT_FOUND');
    expect(failure(() => review.evidenceImage(caseId, embedding.evidenceId)).code).toBe('NOT_FOUND');
    expect(failure(() => review.evidenceImage(caseId, '44444444-4444-4444-8444-444444444444')).code).toBe('NOT_FOUND');
    // decrypted in memory only: not one new file beside the case log
    expect(readdirSync(dir).sort()).toEqual(before);

    const listed = review.get(caseId).evidence;
    expect(listed.map((e) => [e.evidenceId, e.kind, e.purged])).toEqual([
      [frame.evidenceId, 'frame', false],
      [embedding.evidenceId, 'embedding', false],
    ]);
  });

  it('lists the recordings with a media URL whose token opens that recording and no other', async () => {
    const caseId = openCase(store);
    const ids: string[] = [];
    for (const track of ['customer', 'agent'] as const) {
      const { recordingId } = recordings.start({ caseId, callId: 'call-0000review', track, mimeType: 'video/webm', startedAt: 1_700_000_000_000 + (track === 'agent' ? 40 : 0), actor: 'agent-7' });
      recordings.appendChunk(recordingId, 0, Buffer.from('not really webm'));
      await recordings.stop(recordingId);
      ids.push(recordingId);
    }
    const listed = review.recordings(caseId);
    expect(listed.map((r) => [r.track, r.startedAt, r.state])).toEqual([
      ['customer', 1_700_000_000_000, 'stopped'],
      ['agent', 1_700_000_000_040, 'stopped'],
    ]);
    for (const [i, r] of listed.entries()) {
      const u = new URL(r.mediaUrl!, 'http://127.0.0.1');
      expect(u.pathname).toBe(`/media/recordings/${ids[i]}`);
      const token = u.searchParams.get('t');
      expect(tokens.check(ids[i]!, token)).toBe('ok');
      expect(tokens.check(ids[1 - i]!, token)).toBe('invalid');
      expect(r.mediaExpiresAt).toBeGreaterThan(Date.now());
    }
    expect(failure(() => review.recordings('no-such-case')).code).toBe('NOT_FOUND');
    expect(mediaUrlFor('electron', 'app://veridesk')(ids[0]!, 'a.b')).toBe(`app://veridesk/media/recordings/${ids[0]}?t=a.b`);
  });
});

describe('Range header', () => {
  it('reads the single-range forms a <video> sends', () => {
    expect(parseRange('bytes=0-', 100)).toEqual({ kind: 'range', start: 0, end: 99 });
    expect(parseRange('bytes=10-19', 100)).toEqual({ kind: 'range', start: 10, end: 19 });
    expect(parseRange('bytes=90-500', 100)).toEqual({ kind: 'range', start: 90, end: 99 });
    expect(parseRange('bytes=-10', 100)).toEqual({ kind: 'range', start: 90, end: 99 });
    expect(parseRange('bytes=-1000', 100)).toEqual({ kind: 'range', start: 0, end: 99 });
    expect(parseRange('bytes=100-', 100)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=-0', 100)).toEqual({ kind: 'unsatisfiable' });
    for (const ignored of [undefined, '', 'bytes=5-2', 'bytes=0-1,5-6', 'items=0-1', 'bytes=a-b', 'bytes=-']) expect(parseRange(ignored, 100), String(ignored)).toEqual({ kind: 'whole' });
  });
});
