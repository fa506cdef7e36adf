import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ServiceType } from '../../../src/shared/cases';
import type { Queryable, ServerDb } from '../../../server/db/database';
import { insertRoom } from '../../../server/signaling/rooms';
import { migrateServer } from '../../../server/db/migrations';
import { agentStatus, setAgentState } from '../../../server/queue/agents';
import { estimateWaitS } from '../../../server/queue/customer';
import { acceptOffer, declineOffer, finishRequest } from '../../../server/queue/offers';
import { insertRequest } from '../../../server/queue/request-row';
import { canServe, compareRequests, declineKey, dispatch, planOffers, type ReadyAgent, type WaitingRequest } from '../../../server/queue/routing';
import { setSkills } from '../../../server/queue/skills';
import { abandonAbsent, lapseOffers } from '../../../server/queue/sweeps';
import { startPostgres } from '../../../server/testing/pg-harness';
import { dbBackends } from './db-backends';

const pgStart = await startPostgres();
afterAll(async () => {
  if (pgStart.ok) await pgStart.cluster.stop();
});

const T0 = 1_750_000_000_000;
const PRESENCE = 30_000;
const OPTS = { offerTimeoutMs: 15_000, presenceTimeoutMs: PRESENCE };

const agent = (workstation: string, readySince: number, skills: ServiceType[] = []): ReadyAgent => ({ workstation, agentId: `A-${workstation}`, readySince, skills });
const req = (requestId: string, enqueuedAt: number, o: Partial<WaitingRequest> = {}): WaitingRequest => ({ requestId, serviceType: 'transact', priority: 0, enqueuedAt, customerSeenAt: T0, ...o });

describe('routing pieces (pure)', () => {
  it('queue order: higher priority first, then first come first served, then the id', () => {
    const sorted = [req('late', T0 + 2), req('callback', T0 + 5, { priority: 10 }), req('b', T0 + 1), req('a', T0 + 1)].sort(compareRequests).map((r) => r.requestId);
    expect(sorted).toEqual(['callback', 'a', 'b', 'late']);
  });

  it('no skills means every service type; a skill list restricts', () => {
    expect(canServe([], 'consult')).toBe(true);
    expect(canServe(['transact'], 'transact')).toBe(true);
    expect(canServe(['transact'], 'consult')).toBe(false);
  });

  it('the agent ready longest gets the head of the queue; each request goes to one agent only', () => {
    const plan = planOffers([agent('ws-new', T0 - 10), agent('ws-old', T0 - 1000)], [req('r2', T0 + 2), req('r1', T0 + 1)], new Set(), T0, PRESENCE);
    expect(plan.map((p) => [p.workstation, p.requestId])).toEqual([
      ['ws-old', 'r1'],
      ['ws-new', 'r2'],
    ]);
  });

  it('skills: an agent skips requests it cannot serve and the next agent with the skill takes them', () => {
    const plan = planOffers([agent('consult-only', T0 - 100, ['consult']), agent('all', T0 - 50)], [req('transact-1', T0 + 1), req('consult-1', T0 + 2, { serviceType: 'consult' })], new Set(), T0, PRESENCE);
    expect(plan.map((p) => [p.workstation, p.requestId])).toEqual([
      ['consult-only', 'consult-1'],
      ['all', 'transact-1'],
    ]);
  });

  it('a request the agent declined or let lapse is not offered to it again, but to the next agent', () => {
    const plan = planOffers([agent('ws-1', T0 - 100), agent('ws-2', T0 - 50)], [req('r1', T0 + 1)], new Set([declineKey('r1', 'ws-1')]), T0, PRESENCE);
    expect(plan).toEqual([{ workstation: 'ws-2', agentId: 'A-ws-2', requestId: 'r1' }]);
  });

  it('a customer not seen within the presence timeout (or never) is skipped', () => {
    const plan = planOffers([agent('ws-1', T0 - 100)], [req('gone', T0 - 60_000, { customerSeenAt: T0 - PRESENCE }), req('never', T0 - 50_000, { customerSeenAt: null }), req('here', T0)], new Set(), T0, PRESENCE);
    expect(plan.map((p) => p.requestId)).toEqual(['here']);
  });

  it('estimated wait: position × handle time ÷ working agents; unknown without agents', () => {
    expect(estimateWaitS(3, 180, 2)).toBe(270);
    expect(estimateWaitS(1, 180, 0)).toBeNull();
  });
});

for (const backend of dbBackends(pgStart)) {
  describe.skipIf(backend.skip !== null)(`dispatch, sweeps and offers on ${backend.name}${backend.skip ? ` (skipped: ${backend.skip})` : ''}`, () => {
    let db: ServerDb;
    let n = 0;
    // The signaling table as the real SignalingService writes it (the real one is exercised in queue-handover.test.ts).
    const rooms = {
      createQueuedRoom: async (tx: Queryable, caseId: string, workstation: string, joinHash: string) => {
        const room = { roomId: `room-${caseId}`, caseId, workstation, createdAt: T0, expiresAt: T0 + 3_600_000, joinExpiresAt: T0 + 900_000, joinHash };
        await insertRoom(tx, room);
        return room;
      },
    };

    beforeEach(async () => {
      db = await backend.open();
      await migrateServer(db);
      if (db.kind === 'postgres') await db.query('TRUNCATE queue_requests, queue_agents, queue_skills, queue_declines, queue_log, signal_rooms CASCADE');
    });
    afterEach(async () => db.close());

    const enqueue = async (serviceType: ServiceType, at: number, o: { priority?: number; seenAt?: number | null } = {}) => {
      const requestId = `req-${++n}`;
      await insertRequest(db, { requestId, channel: 'app', channelRequestId: requestId, bodyHash: 'h', origin: 'handover', serviceType, customerRef: `CUST-${n}`, context: { intent: null, priorChecks: [], scriptStep: null }, hasPhoto: false, secretHash: 'x', priority: o.priority ?? 0, now: at });
      const seen = o.seenAt === undefined ? at : o.seenAt;
      if (seen !== null) await db.query('UPDATE queue_requests SET customer_seen_at = $2 WHERE request_id = $1', [requestId, seen]);
      return requestId;
    };
    const offers = async () => (await db.query<{ request_id: string; offered_to: string }>("SELECT request_id, offered_to FROM queue_requests WHERE state = 'offered' ORDER BY request_id")).rows;
    const logKinds = async (kind: string) => Number((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM queue_log WHERE kind = $1', [kind])).rows[0]!.n);

    it('a due call-back (priority) is offered before older walk-ins; the rest wait in FIFO order', async () => {
      const first = await enqueue('transact', T0);
      await enqueue('transact', T0 + 1000);
      const callback = await enqueue('transact', T0 + 2000, { priority: 10 });
      await setAgentState(db, 'ws-1', 'agent-1', 'ready', T0 + 3000);
      const r = await dispatch(db, T0 + 3000, OPTS);
      expect(r.offered).toEqual([{ workstation: 'ws-1', agentId: 'agent-1', requestId: callback }]);
      await setAgentState(db, 'ws-2', 'agent-2', 'ready', T0 + 3100);
      await dispatch(db, T0 + 3100, OPTS);
      expect(await offers()).toEqual(expect.arrayContaining([{ request_id: first, offered_to: 'ws-2' }]));
      expect(await logKinds('offered')).toBe(2);
    });

    it('skills from queue_skills: a consult-only agent is not offered a transact customer', async () => {
      await setSkills(db, 'ws-c', ['consult']);
      const transact = await enqueue('transact', T0);
      await setAgentState(db, 'ws-c', 'agent-c', 'ready', T0 + 10);
      expect((await dispatch(db, T0 + 10, OPTS)).offered).toEqual([]);
      expect((await agentStatus(db, 'ws-c', T0 + 10)).waiting).toBe(0);
      await setAgentState(db, 'ws-any', 'agent-any', 'ready', T0 + 20);
      expect((await dispatch(db, T0 + 20, OPTS)).offered.map((o) => [o.workstation, o.requestId])).toEqual([['ws-any', transact]]);
    });

    it('an agent with an offer gets no second one; a declined request passes to the next ready agent and never back', async () => {
      const r1 = await enqueue('transact', T0);
      const r2 = await enqueue('transact', T0 + 1);
      await setAgentState(db, 'ws-1', 'agent-1', 'ready', T0 + 5);
      await dispatch(db, T0 + 10, OPTS);
      await dispatch(db, T0 + 11, OPTS);
      expect(await offers()).toEqual([{ request_id: r1, offered_to: 'ws-1' }]);
      expect(await declineOffer(db, 'ws-1', r1, T0 + 20)).toBe(true);
      // ws-1 is still ready: it gets the next customer, not the one it declined.
      await dispatch(db, T0 + 21, OPTS);
      expect(await offers()).toEqual([{ request_id: r2, offered_to: 'ws-1' }]);
      await setAgentState(db, 'ws-2', 'agent-2', 'ready', T0 + 30);
      await dispatch(db, T0 + 31, OPTS);
      expect(await offers()).toEqual([
        { request_id: r1, offered_to: 'ws-2' },
        { request_id: r2, offered_to: 'ws-1' },
      ]);
      expect(await declineOffer(db, 'ws-1', r1, T0 + 40)).toBe(false);
    });

    it('an offer past its timeout lapses: the request keeps its place, the agent is set away (missed_offer), the next ready agent gets it', async () => {
      const r1 = await enqueue('transact', T0);
      await setAgentState(db, 'ws-slow', 'agent-slow', 'ready', T0 + 1);
      await setAgentState(db, 'ws-next', 'agent-next', 'ready', T0 + 2);
      await dispatch(db, T0 + 10, OPTS);
      expect(await offers()).toEqual([{ request_id: r1, offered_to: 'ws-slow' }]);
      // The customer keeps polling; the offer is not answered.
      await db.query('UPDATE queue_requests SET customer_seen_at = $1', [T0 + 15_000]);
      expect(await lapseOffers(db, T0 + 10 + 14_999)).toEqual([]);
      expect(await lapseOffers(db, T0 + 10 + 15_000)).toEqual([{ requestId: r1, workstation: 'ws-slow' }]);
      const slow = await agentStatus(db, 'ws-slow', T0 + 15_010);
      expect([slow.state, slow.reason, slow.offer]).toEqual(['away', 'missed_offer', null]);
      const { rows } = await db.query<{ state: string; enqueued_at: number }>('SELECT state, enqueued_at FROM queue_requests WHERE request_id = $1', [r1]);
      expect(rows[0]).toMatchObject({ state: 'waiting', enqueued_at: T0 });
      await dispatch(db, T0 + 15_011, OPTS);
      expect(await offers()).toEqual([{ request_id: r1, offered_to: 'ws-next' }]);
      expect(await logKinds('offer_timeout')).toBe(1);
      // A late accept by the first agent fails; the offered agent's accept works.
      expect((await acceptOffer(db, rooms, 'ws-slow', r1, 'case-late', T0 + 15_012)).ok).toBe(false);
      expect((await acceptOffer(db, rooms, 'ws-next', r1, 'case-1', T0 + 15_012)).ok).toBe(true);
    });

    it('accept after the expiry fails even before the sweep ran', async () => {
      const r1 = await enqueue('transact', T0);
      await setAgentState(db, 'ws-1', 'agent-1', 'ready', T0 + 1);
      await dispatch(db, T0 + 10, OPTS);
      expect((await acceptOffer(db, rooms, 'ws-1', r1, 'case-x', T0 + 10 + 15_000)).ok).toBe(false);
    });

    it('accept makes the agent busy; finish frees it to ready, an agent who chose away stays away', async () => {
      const r1 = await enqueue('transact', T0);
      const r2 = await enqueue('transact', T0 + 1);
      await setAgentState(db, 'ws-1', 'agent-1', 'ready', T0 + 2);
      await dispatch(db, T0 + 3, OPTS);
      const accepted = await acceptOffer(db, rooms, 'ws-1', r1, 'case-1', T0 + 4);
      expect(accepted.ok).toBe(true);
      expect((await agentStatus(db, 'ws-1', T0 + 5)).state).toBe('busy');
      // A retried accept with the same case id answers the same room.
      const again = await acceptOffer(db, rooms, 'ws-1', r1, 'case-1', T0 + 6);
      expect(again.ok && again.replayed && again.roomId).toBe('room-case-1');
      expect(await finishRequest(db, 'ws-2', r1, T0 + 7)).toBe('not_found');
      expect(await finishRequest(db, 'ws-1', r1, T0 + 8)).toBe('finished');
      expect(await finishRequest(db, 'ws-1', r1, T0 + 9)).toBe('already');
      expect((await agentStatus(db, 'ws-1', T0 + 10)).state).toBe('ready');
      await db.query('UPDATE queue_requests SET customer_seen_at = $1', [T0 + 10]);
      await dispatch(db, T0 + 11, OPTS);
      expect((await acceptOffer(db, rooms, 'ws-1', r2, 'case-2', T0 + 12)).ok).toBe(true);
      await setAgentState(db, 'ws-1', 'agent-1', 'away', T0 + 13);
      expect(await finishRequest(db, 'ws-1', r2, T0 + 14)).toBe('finished');
      expect((await agentStatus(db, 'ws-1', T0 + 15)).state).toBe('away');
    });

    it('going away with an offer pending withdraws it: the customer is offered to the next ready agent', async () => {
      const r1 = await enqueue('transact', T0);
      await setAgentState(db, 'ws-1', 'agent-1', 'ready', T0 + 1);
      await dispatch(db, T0 + 2, OPTS);
      await setAgentState(db, 'ws-1', 'agent-1', 'away', T0 + 3);
      expect(await offers()).toEqual([]);
      await setAgentState(db, 'ws-2', 'agent-2', 'ready', T0 + 4);
      await dispatch(db, T0 + 5, OPTS);
      expect(await offers()).toEqual([{ request_id: r1, offered_to: 'ws-2' }]);
    });

    it('presence: a customer never seen is not offered and is abandoned after the first-seen timeout; one whose page stopped polling after the presence timeout', async () => {
      const never = await enqueue('transact', T0, { seenAt: null });
      const stale = await enqueue('transact', T0, { seenAt: T0 });
      const here = await enqueue('transact', T0, { seenAt: T0 + 29_000 });
      await setAgentState(db, 'ws-1', 'agent-1', 'ready', T0);
      expect((await dispatch(db, T0 + 30_000, OPTS)).offered.map((o) => o.requestId)).toEqual([here]);
      const abandoned = await abandonAbsent(db, T0 + 30_000, { presenceTimeoutMs: PRESENCE, firstSeenTimeoutMs: 600_000 });
      expect(abandoned).toEqual([stale]);
      expect(await abandonAbsent(db, T0 + 600_000, { presenceTimeoutMs: PRESENCE, firstSeenTimeoutMs: 600_000 })).toEqual([never]);
      expect(await logKinds('abandoned')).toBe(2);
    });

    it('agent state changes are logged with from/to; repeating a state logs nothing', async () => {
      await setAgentState(db, 'ws-1', 'agent-1', 'ready', T0);
      await setAgentState(db, 'ws-1', 'agent-1', 'ready', T0 + 1);
      await setAgentState(db, 'ws-1', 'agent-1', 'away', T0 + 2);
      const { rows } = await db.query<{ detail: string }>("SELECT detail FROM queue_log WHERE kind = 'agent_state' ORDER BY log_id");
      expect(rows.map((r) => JSON.parse(r.detail) as { from: string; to: string }).map((d) => `${d.from}>${d.to}`)).toEqual(['offline>ready', 'ready>away']);
    });
  });
}
