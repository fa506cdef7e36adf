import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/main/log/logger';
import { buildServer } from '../../../server/app';
import { createToken } from '../../../server/auth/tokens';
import { openPostgres, type ServerDb } from '../../../server/db/database';
import { migrateServer } from '../../../server/db/migrations';
import { startPostgres } from '../../../server/testing/pg-harness';
import { AgentStatusSchema, HandoverResponseSchema, QUEUE_PATHS } from '../../../src/shared/queue';

const pgStart = await startPostgres();
afterAll(async () => {
  if (pgStart.ok) await pgStart.cluster.stop();
});

const REQUESTS = 300;
const AGENTS = 25;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!pgStart.ok)(`one queue served by two server instances on one PostgreSQL${pgStart.ok ? '' : ` (skipped: ${pgStart.reason})`}`, () => {
  const instances: { db: ServerDb; app: FastifyInstance }[] = [];
  const tag = randomBytes(3).toString('hex');

  beforeAll(async () => {
    const start = async () => {
      const db = await openPostgres(pgStart.ok ? pgStart.cluster.url : '');
      await migrateServer(db);
      // A short timer on both instances: they dispatch concurrently all the time, besides the kicks.
      const app = await buildServer({ db, logger: silentLogger, rateLimit: false, signaling: { publicUrl: 'https://verify.example.test' }, queue: { dispatchIntervalMs: 20, presenceTimeoutMs: 600_000 } });
      await app.ready();
      instances.push({ db, app });
    };
    await Promise.all([start(), start()]);
  });
  afterAll(async () => {
    for (const i of instances) {
      await i.app.close();
      await i.db.close();
    }
  });

  it(`${REQUESTS} customers and ${AGENTS} agents across both instances, accepts raced on both: every customer assigned exactly once, no agent ever held two offers`, async () => {
    const [A, B] = instances as [(typeof instances)[number], (typeof instances)[number]];
    const pick = (i: number) => (i % 2 === 0 ? A : B);
    const db = A.db;
    const channel = await createToken(db, `multi-app-${tag}`, 'channel');
    const tokens = await Promise.all(Array.from({ length: AGENTS }, (_, i) => createToken(db, `multi-ws-${tag}-${i}`)));

    // Hand-overs through both instances, and one status poll each (the customer is present).
    const customers = await Promise.all(
      Array.from({ length: REQUESTS }, async (_, i) => {
        const r = await pick(i).app.inject({ method: 'POST', url: QUEUE_PATHS.requests, headers: { authorization: `Bearer ${channel}`, 'content-type': 'application/json' }, payload: { channelRequestId: `m-${tag}-${i}`, serviceType: 'transact', customerRef: `M-${tag}-${i}` } });
        const h = HandoverResponseSchema.parse(r.json());
        const secret = h.joinUrl!.split('#')[1]!;
        await pick(i + 1).app.inject({ method: 'GET', url: `${QUEUE_PATHS.requests}/${h.requestId}`, headers: { authorization: `Bearer ${secret}` } });
        return h.requestId;
      }),
    );
    const ids = new Set(customers);

    let doubleOffers = 0;
    let raceWins = 0;
    let raceLosses = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM (SELECT offered_to FROM queue_requests WHERE state = 'offered' GROUP BY offered_to HAVING count(*) > 1) x`);
        doubleOffers += Number(rows[0]!.n);
        await sleep(5);
      }
    })();

    const assignedTo = new Map<string, number>();
    const agentLoop = async (a: number) => {
      const headers = { authorization: `Bearer ${tokens[a]}`, 'content-type': 'application/json' };
      await pick(a).app.inject({ method: 'PUT', url: QUEUE_PATHS.agent, headers, payload: { state: 'ready', agentId: `agent-${a}` } });
      let cycle = 0;
      const deadline = Date.now() + 60_000;
      while (assignedTo.size < REQUESTS && Date.now() < deadline) {
        cycle++;
        const status = AgentStatusSchema.parse((await pick(a + cycle).app.inject({ method: 'GET', url: QUEUE_PATHS.agent, headers })).json());
        if (!status.offer) {
          await sleep(5);
          continue;
        }
        const requestId = status.offer.requestId;
        // The same agent's accept sent to both instances at once, with different case ids: exactly one may win.
        const answers = await Promise.all(
          [A, B].map((inst, k) => inst.app.inject({ method: 'POST', url: `${QUEUE_PATHS.offers}/${requestId}/accept`, headers, payload: { caseId: `c-${a}-${cycle}-${k}` } })),
        );
        const wins = answers.filter((r) => r.statusCode === 200).length;
        expect(wins, `accept race on ${requestId}`).toBe(1);
        expect(answers.filter((r) => r.statusCode === 409).length).toBe(1);
        raceWins += wins;
        raceLosses += 2 - wins;
        assignedTo.set(requestId, (assignedTo.get(requestId) ?? 0) + 1);
        await pick(a + cycle + 1).app.inject({ method: 'POST', url: `${QUEUE_PATHS.requests}/${requestId}/finish`, headers });
      }
    };
    await Promise.all(Array.from({ length: AGENTS }, (_, a) => agentLoop(a)));
    sampling = false;
    await sampler;

    const { rows: accepted } = await db.query<{ request_id: string; n: number }>(`SELECT request_id, count(*)::int AS n FROM queue_log WHERE kind = 'accepted' AND request_id IN (SELECT request_id FROM queue_requests WHERE channel = $1) GROUP BY request_id`, [`multi-app-${tag}`]);
    const twice = accepted.filter((r) => r.n > 1);
    const { rows: states } = await db.query<{ state: string; n: number }>(`SELECT state, count(*)::int AS n FROM queue_requests WHERE channel = $1 GROUP BY state`, [`multi-app-${tag}`]);

    // Per agent, the log must alternate: an offer is resolved (accepted, declined, lapsed, withdrawn) before the next one.
    const { rows: log } = await db.query<{ workstation: string; kind: string }>(
      `SELECT workstation, kind FROM queue_log WHERE kind IN ('offered', 'accepted', 'declined', 'offer_timeout', 'left') AND workstation LIKE $1 ORDER BY log_id`,
      [`multi-ws-${tag}-%`],
    );
    const open = new Map<string, number>();
    let overlapping = 0;
    for (const e of log) {
      const held = open.get(e.workstation) ?? 0;
      if (e.kind === 'offered') {
        if (held > 0) overlapping++;
        open.set(e.workstation, held + 1);
      } else open.set(e.workstation, Math.max(0, held - 1));
    }
    console.log(`queue-multi: ${REQUESTS} requests, ${AGENTS} agents, 2 instances: ${accepted.length} assigned, ${twice.length} assigned twice, ${overlapping} overlapping offers in the log, ${doubleOffers} double offers seen by sampling, accept races ${raceWins} won / ${raceLosses} lost`);

    expect([...assignedTo.keys()].every((id) => ids.has(id))).toBe(true);
    expect([...assignedTo.values()].every((n) => n === 1)).toBe(true);
    expect(assignedTo.size).toBe(REQUESTS);
    expect(accepted.length).toBe(REQUESTS);
    expect(twice).toEqual([]);
    expect(overlapping).toBe(0);
    expect(doubleOffers).toBe(0);
    expect(states).toEqual([{ state: 'finished', n: REQUESTS }]);
  }, 120_000);
});
