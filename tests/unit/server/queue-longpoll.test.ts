/**
 * Held agent polls (GET /api/v1/queue/agent?waitMs=…): a ready agent's request is answered the moment an offer is
 * made for it — by this instance or, on PostgreSQL, by another one — instead of at its next poll; a client that
 * goes away frees its hold; a bad waitMs is refused.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/main/log/logger';
import { buildServer } from '../../../server/app';
import { createToken } from '../../../server/auth/tokens';
import { openPglite, openPostgres, type ServerDb } from '../../../server/db/database';
import { migrateServer } from '../../../server/db/migrations';
import type { QueueService } from '../../../server/queue/service';
import { startPostgres } from '../../../server/testing/pg-harness';
import { AgentStatusSchema, HandoverResponseSchema, QUEUE_PATHS } from '../../../src/shared/queue';

const pgStart = await startPostgres();
const running: { app: FastifyInstance; db: ServerDb }[] = [];
afterAll(async () => {
  for (const r of running) {
    await r.app.close();
    await r.db.close();
  }
  if (pgStart.ok) await pgStart.cluster.stop();
});

interface Instance {
  base: string;
  db: ServerDb;
  service: QueueService;
}

/** A listening instance whose timer never dispatches: only kicks (hand-over, poll, ready) route. */
async function instance(db: ServerDb): Promise<Instance> {
  await migrateServer(db);
  let service!: QueueService;
  const app = await buildServer({ db, logger: silentLogger, rateLimit: false, signaling: { publicUrl: 'https://verify.example.test' }, queue: { dispatchIntervalMs: 3_600_000, onService: (s) => (service = s) } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  running.push({ app, db });
  return { base: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, db, service };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function scenario(agentSide: Instance, customerSide: Instance) {
  const tag = randomBytes(3).toString('hex');
  const channel = await createToken(agentSide.db, `lp-app-${tag}`, 'channel');
  const token = await createToken(agentSide.db, `lp-ws-${tag}`);
  const agent = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const ready = await fetch(`${agentSide.base}${QUEUE_PATHS.agent}`, { method: 'PUT', headers: agent, body: JSON.stringify({ state: 'ready', agentId: 'agent-lp' }) });
  expect(AgentStatusSchema.parse(await ready.json()).offer).toBeNull();

  // held: nobody waits yet
  const heldAt = performance.now();
  const held = fetch(`${agentSide.base}${QUEUE_PATHS.agent}?waitMs=20000`, { headers: agent }).then(async (r) => ({ status: AgentStatusSchema.parse(await r.json()), at: performance.now() }));
  await sleep(300);
  expect(agentSide.service.wakeups.held).toBe(1);

  // a customer arrives through the other instance and polls once (present): that instance routes and announces
  const handed = HandoverResponseSchema.parse(
    await (
      await fetch(`${customerSide.base}${QUEUE_PATHS.requests}`, { method: 'POST', headers: { authorization: `Bearer ${channel}`, 'content-type': 'application/json' }, body: JSON.stringify({ channelRequestId: `lp-${tag}`, serviceType: 'transact', customerRef: `LP-${tag}` }) })
    ).json(),
  );
  const arrivedAt = performance.now();
  await fetch(`${customerSide.base}${QUEUE_PATHS.requests}/${handed.requestId}`, { headers: { authorization: `Bearer ${handed.joinUrl!.split('#')[1]}` } });
  const answer = await held;
  expect(answer.status.offer?.requestId).toBe(handed.requestId);
  // answered when the offer was made, far inside the 20 s hold
  expect(answer.at - arrivedAt).toBeLessThan(3_000);
  expect(answer.at - heldAt).toBeLessThan(15_000);
  expect(agentSide.service.wakeups.held).toBe(0);

  // an agent with an offer is answered at once, whatever waitMs says
  const t0 = performance.now();
  const again = AgentStatusSchema.parse(await (await fetch(`${agentSide.base}${QUEUE_PATHS.agent}?waitMs=20000`, { headers: agent })).json());
  expect(again.offer?.requestId).toBe(handed.requestId);
  expect(performance.now() - t0).toBeLessThan(2_000);
  return { agent, base: agentSide.base, service: agentSide.service };
}

describe('held agent polls on PGlite (one instance)', () => {
  it('a ready agent is answered as soon as a customer is offered to it; a client that goes away frees its hold; a bad waitMs is 400', async () => {
    const one = await instance(await openPglite());
    const { agent, base, service } = await scenario(one, one);
    // decline → ready without an offer again: a hold whose client aborts is freed
    const offer = AgentStatusSchema.parse(await (await fetch(`${base}${QUEUE_PATHS.agent}`, { headers: agent })).json()).offer!;
    await fetch(`${base}${QUEUE_PATHS.offers}/${offer.requestId}/decline`, { method: 'POST', headers: agent, body: '{}' });
    const abort = new AbortController();
    const aborted = fetch(`${base}${QUEUE_PATHS.agent}?waitMs=20000`, { headers: agent, signal: abort.signal }).catch((e: unknown) => e);
    await sleep(300);
    expect(service.wakeups.held).toBe(1);
    abort.abort();
    await aborted;
    await expect.poll(() => service.wakeups.held, { timeout: 3_000 }).toBe(0);
    for (const bad of ['-1', 'abc', '1e9', '9999999']) {
      const r = await fetch(`${base}${QUEUE_PATHS.agent}?waitMs=${bad}`, { headers: agent });
      expect(r.status, bad).toBe(400);
    }
  });
});

describe.skipIf(!pgStart.ok)(`held agent polls across two instances on one PostgreSQL${pgStart.ok ? '' : ` (skipped: ${pgStart.reason})`}`, () => {
  it('the agent holds its poll on instance A; the customer arrives through instance B; B offers and A answers at once (NOTIFY)', async () => {
    const url = pgStart.ok ? pgStart.cluster.url : '';
    const a = await instance(await openPostgres(url));
    const b = await instance(await openPostgres(url));
    await scenario(a, b);
  });
});
