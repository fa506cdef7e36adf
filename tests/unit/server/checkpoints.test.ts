/**
 * The server as the outside anchor of a workstation's ledger (server/sync/checkpoints.ts): signed checkpoints are
 * kept, pinned to the first key, and a rolled-back, forked or rewritten ledger is refused; on PGlite and PostgreSQL.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/main/log/logger';
import { buildServer } from '../../../server/app';
import { createToken } from '../../../server/auth/tokens';
import type { ServerDb } from '../../../server/db/database';
import { migrateServer } from '../../../server/db/migrations';
import { startPostgres } from '../../../server/testing/pg-harness';
import { canonicalJson } from '../../../src/common/canonical';
import { computeEventHash } from '../../../src/common/chain';
import { sha256Hex } from '../../../src/common/hash';
import { ledgerFold, ledgerStep } from '../../../src/common/ledger';
import { batchBodyHash, eventHash, ledgerFoldFast } from '../../../server/sync/batch-encoding';
import type { CaseEvent } from '../../../src/shared/cases';
import { dbBackends } from './db-backends';
import { LedgerFixture, makeChain, makeLedgerSigner, resealFrom } from './fixtures';

const pgStart = await startPostgres();
afterAll(async () => {
  if (pgStart.ok) await pgStart.cluster.stop();
});

for (const backend of dbBackends(pgStart)) {
  describe.skipIf(backend.skip !== null)(`ledger checkpoints on ${backend.name}${backend.skip ? ` (skipped: ${backend.skip})` : ''}`, () => {
    let db: ServerDb;
    let app: FastifyInstance;
    let lead: string;
    let n = 0;

    beforeAll(async () => {
      db = await backend.open();
      await migrateServer(db);
      app = await buildServer({ db, logger: silentLogger });
      lead = await createToken(db, `lead-cp-${Math.random().toString(36).slice(2, 8)}`, 'lead');
    });
    afterAll(async () => {
      await app?.close();
      await db?.close();
    });

    /** A fresh workstation (token + its ledger), so each test starts with nothing pinned. */
    const workstation = async () => {
      const name = `ws-cp-${++n}-${Math.random().toString(36).slice(2, 8)}`;
      return { token: await createToken(db, name), ledger: new LedgerFixture(name) };
    };
    const post = (token: string, body: unknown, key = `cp-${++n}-${Date.now()}`) =>
      app.inject({ method: 'POST', url: '/api/v1/sync/batches', headers: { authorization: `Bearer ${token}`, 'idempotency-key': key, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
    const get = (token: string, url: string) => app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
    const errorOf = (r: { statusCode: number; json: () => { error: { code: string; message: string; caseId?: string; seq?: number } } }) => ({ status: r.statusCode, ...r.json().error });
    const stored = async (name: string) => {
      const { rows } = await db.query<{ events: number; checkpoints: number; top: number | null }>(
        `SELECT (SELECT count(*)::int FROM events WHERE workstation = $1) AS events,
                (SELECT count(*)::int FROM sync_checkpoints WHERE workstation = $1) AS checkpoints,
                (SELECT max(gseq)::int FROM sync_checkpoints WHERE workstation = $1) AS top`,
        [name],
      );
      return rows[0]!;
    };

    it('stores signed checkpoints with the events, acknowledges them, and lists them from /checkpoints', async () => {
      const { token, ledger } = await workstation();
      const a = ledger.addCase(4);
      const b = ledger.addCase(3);
      const r1 = await post(token, ledger.batch(a, 4));
      expect(r1.statusCode).toBe(200);
      expect(r1.json()).toMatchObject({ accepted: 4, checkpoint: { gseq: 4, ledgerHash: ledger.ledger[4] } });
      const r2 = await post(token, ledger.batch(b));
      expect(r2.json()).toMatchObject({ accepted: 3, checkpoint: { gseq: 7, ledgerHash: ledger.ledger[7] } });

      const all = (await get(token, '/api/v1/sync/checkpoints')).json();
      expect(all.checkpoints.map((c: { gseq: number; ledgerHash: string }) => [c.gseq, c.ledgerHash])).toEqual([
        [4, ledger.ledger[4]],
        [7, ledger.ledger[7]],
      ]);
      expect(all.checkpoints[0]).toMatchObject({ at: ledger.checkpoint(4).at, receivedAt: expect.any(Number) });
      expect(Math.abs(all.checkpoints[0].receivedAt - Date.now())).toBeLessThan(60_000);
      expect(all.head).toEqual({ gseq: 7, ledgerHash: ledger.ledger[7] });
      const page = (await get(token, '/api/v1/sync/checkpoints?after=4&limit=1')).json();
      expect(page.checkpoints.map((c: { gseq: number }) => c.gseq)).toEqual([7]);
      expect((await get(token, '/api/v1/sync/checkpoints?limit=1001')).statusCode).toBe(400);

      // Another workstation sees none of them.
      const other = await workstation();
      expect((await get(other.token, '/api/v1/sync/checkpoints')).json()).toEqual({ checkpoints: [], head: null });
      expect((await get(lead, '/api/v1/sync/checkpoints')).statusCode).toBe(403);
    });

    it('returns the stored positions from /ledger, ascending, only the calling workstation’s', async () => {
      const { token, ledger } = await workstation();
      // Two cases interleaved on the global sequence.
      const [a, b] = [makeChain(3), makeChain(3)];
      const placed = ledger.append([a[0]!, b[0]!, a[1]!, b[1]!, a[2]!, b[2]!]);
      expect((await post(token, ledger.batch(placed))).statusCode).toBe(200);
      const r = (await get(token, '/api/v1/sync/ledger?from=2&to=5')).json();
      expect(r.events).toEqual(placed.slice(1, 5).map((e) => ({ gseq: e.gseq, caseId: e.caseId, seq: e.seq, hash: e.hash })));
      expect((await get(token, '/api/v1/sync/ledger?from=1&to=100')).json().events).toHaveLength(6);
      expect((await get(token, '/api/v1/sync/ledger?from=5&to=2')).statusCode).toBe(400);
      expect((await get(token, '/api/v1/sync/ledger?from=1')).statusCode).toBe(400);
      const other = await workstation();
      expect((await get(other.token, '/api/v1/sync/ledger?from=1&to=100')).json().events).toEqual([]);
    });

    it('replays the stored response, checkpoint included, for the same idempotency key', async () => {
      const { token, ledger } = await workstation();
      const body = ledger.batch(ledger.addCase(3));
      const first = await post(token, body, `cp-replay-${n}-key`);
      const again = await post(token, body, `cp-replay-${n}-key`);
      expect(again.json()).toMatchObject({ replayed: true, batchId: first.json().batchId, checkpoint: { gseq: 3, ledgerHash: ledger.ledger[3] } });
      expect((await stored(ledger.workstation)).checkpoints).toBe(1);
    });

    it('refuses a checkpoint below the one it holds (a rolled-back log) with CHECKPOINT_ROLLBACK naming both positions', async () => {
      const { token, ledger } = await workstation();
      expect((await post(token, ledger.batch(ledger.addCase(5)))).statusCode).toBe(200);
      expect((await post(token, ledger.batch(ledger.addCase(5)))).statusCode).toBe(200);
      // The log was restored from a backup taken at gseq 6: it resends what it has with its (validly signed) head.
      const r = await post(token, ledger.batch(ledger.range(1, 6), 6));
      expect(errorOf(r)).toMatchObject({ status: 409, code: 'CHECKPOINT_ROLLBACK' });
      expect(r.json().error.message).toMatch(/gseq 6\b.*gseq 10\b/);
      expect(await stored(ledger.workstation)).toMatchObject({ events: 10, checkpoints: 2, top: 10 });
    });

    it('refuses a rewritten ledger: another hash at the same position, a position taken twice, a run that does not fold', async () => {
      const { token, ledger } = await workstation();
      ledger.addCase(4);
      ledger.addCase(4);
      expect((await post(token, ledger.batch(ledger.range(1, 8)))).statusCode).toBe(200);

      // Same position, another history: the key holder rewrote case 2 and re-signed the head.
      const rewritten = ledger.forkAt(4);
      rewritten.append(resealFrom(ledger.range(5, 8).map((e, i) => (i === 1 ? { ...e, payload: { check: 'face_match', status: 'pass', score: 0.99 } } : e)), 1));
      const sameHead = await post(token, rewritten.batch(rewritten.range(8, 8)));
      expect(errorOf(sameHead)).toMatchObject({ status: 409, code: 'CHECKPOINT_FORK' });
      expect(sameHead.json().error.message).toContain('gseq 8');

      // A new case slipped in at a position another stored event holds, under the (genuine) re-affirmed head.
      const intruder = { ...makeChain(1)[0]!, gseq: 3 } as CaseEvent;
      const taken = await post(token, ledger.batch([intruder], 8));
      expect(errorOf(taken)).toMatchObject({ status: 409, code: 'CHECKPOINT_FORK', caseId: intruder.caseId, seq: 1 });
      expect(taken.json().error.message).toContain('gseq 3');

      // A resent event moved to another position.
      const movedEvent = { ...ledger.events[0]!, gseq: 9 };
      const moved = await post(token, { ...ledger.batch([movedEvent], 8), checkpoint: ledger.checkpoint(9, { ledgerHash: ledgerStep(ledger.ledger[8]!, 9, movedEvent.hash) }) });
      expect(errorOf(moved)).toMatchObject({ status: 409, code: 'CHECKPOINT_FORK', caseId: ledger.events[0]!.caseId, seq: 1 });

      // New events 9..11 after the held head, signed with a ledger hash folded over a rewritten past.
      const next = ledger.addCase(3);
      // What the rewriter's log holds at 8 differs; its 9..11 fold onto that.
      const forgedHash = ledgerFold('e'.repeat(64), next as { gseq: number; hash: string }[]);
      const badFold = await post(token, { ...ledger.batch(next), checkpoint: ledger.checkpoint(11, { ledgerHash: forgedHash }) });
      expect(errorOf(badFold)).toMatchObject({ status: 409, code: 'CHECKPOINT_FORK' });
      expect(badFold.json().error.message).toContain('rewritten before gseq 11');

      expect(await stored(ledger.workstation)).toMatchObject({ events: 8, checkpoints: 1, top: 8 });
      // The genuine continuation is still accepted.
      expect((await post(token, ledger.batch(next))).json()).toMatchObject({ accepted: 3, checkpoint: { gseq: 11 } });
    });

    it('pins the first signer: a checkpoint signed by another key is SIGNER_MISMATCH; /signer serves the pinned key', async () => {
      const { token, ledger } = await workstation();
      expect((await get(token, '/api/v1/sync/signer')).statusCode).toBe(404);
      expect((await post(token, ledger.batch(ledger.addCase(3)))).statusCode).toBe(200);
      const next = ledger.addCase(2);
      const intruder = makeLedgerSigner();
      const r = await post(token, { ...ledger.batch(next), checkpoint: ledger.checkpoint(5, { signer: intruder }) });
      expect(errorOf(r)).toMatchObject({ status: 409, code: 'SIGNER_MISMATCH' });
      expect(await stored(ledger.workstation)).toMatchObject({ events: 3, top: 3 });

      const own = (await get(token, '/api/v1/sync/signer')).json();
      expect(own).toMatchObject({ workstation: ledger.workstation, publicKey: ledger.signer.publicKey, pinnedAt: expect.any(Number) });
      expect((await get(lead, `/api/v1/sync/signer?workstation=${ledger.workstation}`)).json()).toEqual(own);
      expect((await get(lead, '/api/v1/sync/signer')).statusCode).toBe(400);
      expect((await get(lead, '/api/v1/sync/signer?workstation=nobody-here')).statusCode).toBe(404);
      const other = await workstation();
      expect((await get(other.token, `/api/v1/sync/signer?workstation=${ledger.workstation}`)).statusCode).toBe(403);
    });

    it('refuses a bad signature, a checkpoint signed for another workstation, and malformed checkpoints with CHECKPOINT_INVALID', async () => {
      const { token, ledger } = await workstation();
      const events = ledger.addCase(3);
      const good = ledger.checkpoint(3);
      const flipped = Buffer.from(good.signature, 'base64');
      flipped[10] = flipped[10]! ^ 1;
      const bodies: [string, unknown][] = [
        ['flipped signature bit', { ...ledger.batch(events), checkpoint: { ...good, signature: flipped.toString('base64') } }],
        ['hash changed after signing', { ...ledger.batch(events), checkpoint: { ...good, ledgerHash: 'a'.repeat(64) } }],
        ['signed for another workstation', { ...ledger.batch(events), checkpoint: ledger.checkpoint(3, { workstationId: 'someone-else' }) }],
        ['checkpoint below an event of the batch', { ...ledger.batch(events), checkpoint: ledger.checkpoint(2) }],
        ['one position given to two events', { ...ledger.batch(events), events: events.map((e) => ({ ...e, gseq: 1 })) }],
        ['positions without a checkpoint', { workstationId: ledger.workstation, events }],
      ];
      for (const [why, body] of bodies) expect(errorOf(await post(token, body)), why).toMatchObject({ status: 422, code: 'CHECKPOINT_INVALID' });
      const junkKey = await post(token, { ...ledger.batch(events), checkpoint: { ...good, publicKey: 'A'.repeat(43) + '=' } });
      expect(errorOf(junkKey)).toMatchObject({ status: 422, code: 'CHECKPOINT_INVALID' });
      expect(await stored(ledger.workstation)).toMatchObject({ events: 0, checkpoints: 0 });
      // Nothing was pinned by the refused batches: the genuine key still pins on first valid use.
      expect((await post(token, ledger.batch(events))).statusCode).toBe(200);
      expect((await get(token, '/api/v1/sync/signer')).json().publicKey).toBe(ledger.signer.publicKey);
    });

    it('once a signer is pinned, refuses a batch without checkpoint or with events lacking gseq (no downgrade)', async () => {
      const { token, ledger } = await workstation();
      expect((await post(token, ledger.batch(ledger.addCase(3)))).statusCode).toBe(200);
      const next = ledger.addCase(2);
      const bare = next.map(({ gseq: _g, seal: _s, ...e }) => e);
      expect(errorOf(await post(token, { workstationId: ledger.workstation, events: bare }))).toMatchObject({ status: 422, code: 'CHECKPOINT_INVALID' });
      expect(errorOf(await post(token, { ...ledger.batch(next), events: [next[0]!, bare[1]!] }))).toMatchObject({ status: 422, code: 'CHECKPOINT_INVALID', seq: 2 });
      expect(await stored(ledger.workstation)).toMatchObject({ events: 3, top: 3 });
    });

    it('accepts a held-back case released later (behind the latest checkpoint, head re-affirmed), then re-anchors', async () => {
      const { token, ledger } = await workstation();
      const a = ledger.addCase(3); // 1..3
      const held = ledger.addCase(3); // 4..6, refused once and set aside by the client
      const c = ledger.addCase(3); // 7..9
      const r1 = await post(token, ledger.batch([...a, ...c], 9));
      expect(r1.json()).toMatchObject({ accepted: 6, checkpoint: { gseq: 9 } });
      const r2 = await post(token, ledger.batch(held, 9));
      expect(r2.statusCode).toBe(200);
      expect(r2.json()).toMatchObject({ accepted: 3, checkpoint: { gseq: 9, ledgerHash: ledger.ledger[9] } });
      expect(await stored(ledger.workstation)).toMatchObject({ events: 9, checkpoints: 1, top: 9 });
      // The next contiguous run is folded onto the stored head again.
      const d = ledger.addCase(2);
      expect((await post(token, ledger.batch(d))).json()).toMatchObject({ accepted: 2, checkpoint: { gseq: 11 } });
      const positions = (await get(token, '/api/v1/sync/ledger?from=1&to=11')).json().events.map((e: { gseq: number; hash: string }) => [e.gseq, e.hash]);
      expect(positions).toEqual(ledger.events.map((e) => [e.gseq, e.hash]));
    });

    it('keeps accepting legacy batches (no gseq, no checkpoint, nothing pinned)', async () => {
      const { token, ledger } = await workstation();
      const chain = makeChain(4);
      const r = await post(token, { workstationId: 'old-client', events: chain });
      expect(r.statusCode).toBe(200);
      expect(r.json()).toMatchObject({ accepted: 4, checkpoint: null });
      const { rows } = await db.query<{ gseq: number | null }>('SELECT gseq FROM events WHERE case_id = $1', [chain[0]!.caseId]);
      expect(rows.map((x) => x.gseq)).toEqual([null, null, null, null]);
      // Upgrading later pins the key from then on.
      expect((await post(token, ledger.batch(ledger.addCase(2)))).json()).toMatchObject({ checkpoint: { gseq: 2 } });
      expect(errorOf(await post(token, { workstationId: 'old-client', events: makeChain(1) }))).toMatchObject({ status: 422, code: 'CHECKPOINT_INVALID' });
    });
  });
}

// The server's fast encoders must give the shared functions' exact bytes (server/sync/batch-encoding.ts): the body
// hash is compared with ones stored before, and the chain and ledger hashes only accept through them.
describe('batch encodings', () => {
  const tricky = { 'z\u00e9': 'quote " backslash \\ newline \n', a: [1, -0, 2.5e-7, null, { y: true, b: false }], '': { nested: ['\u2028', '😀'] }, n: 1e21 };
  const events = (): CaseEvent[] => {
    const ledger = new LedgerFixture('ws-enc');
    const chain = resealFrom(makeChain(4).map((e, i) => (i === 1 ? { ...e, payload: tricky } : e)), 1);
    const placed = ledger.append(chain);
    return [...placed.slice(0, 2).map((e) => ({ ...e, seal: 'c'.repeat(64) })), ...placed.slice(2), ...makeChain(2)];
  };
  const payloadsOf = (list: CaseEvent[]) => new Map(list.map((e) => [e, canonicalJson(e.payload)]));

  it('hash a batch body as sha256(canonicalJson(batch)), with and without checkpoint, gseq and seal', () => {
    const list = events();
    const ledger = new LedgerFixture('ws-enc');
    for (const batch of [{ workstationId: 'ws "x"', events: list }, { workstationId: 'ws-enc', events: list, checkpoint: ledger.checkpoint(0, { ledgerHash: 'd'.repeat(64) }) }]) {
      expect(batchBodyHash(batch, payloadsOf(list))).toBe(sha256Hex(canonicalJson(batch)));
    }
  });

  it('hash an event as computeEventHash and fold a ledger as ledgerFold', () => {
    const list = events();
    const payloads = payloadsOf(list);
    for (const e of list) expect(eventHash(e, payloads.get(e)!)).toBe(computeEventHash(e));
    const positioned = list.filter((e): e is CaseEvent & { gseq: number } => e.gseq !== undefined);
    expect(ledgerFoldFast('0'.repeat(64), positioned)).toBe(ledgerFold('0'.repeat(64), positioned));
    // And they do differ when a byte differs (the comparison is not vacuous).
    expect(eventHash(list[1]!, canonicalJson({ ...tricky, n: 2 }))).not.toBe(computeEventHash(list[1]!));
  });
});
