/**
 * The lead's wallboard numbers (docs/queue.md "Wallboard"), computed in SQL over the queue tables so every
 * instance answers the same:
 *
 *   waiting / longestWaitS  requests waiting or offered now (an offered customer is still not answered)
 *   agents                  queue_agents rows by state (every state present, 0 when none)
 *   today                   requests that entered the queue today (enqueued_at in the local day) and left it:
 *                           offered = answered + abandoned + left + closed (a request now booked for a
 *                           call-back is counted when the call-back is served); answered = an agent accepted
 *                           (assigned_at set); within service level = assigned_at − enqueued_at ≤
 *                           QUEUE_LIMITS.serviceLevelMs; abandoned = the customer went (presence timeout) or
 *                           pressed leave; serviceLevel = within / (answered + abandoned)
 *   callbacksDue            call-backs booked or waiting for their retry with due_at ≤ now + 1 h (overdue ones
 *                           the sweep has not queued yet included)
 *   hourly                  per hour of today up to now: answered, abandoned, median wait of the answered
 *
 * "Today" is the UTC day unless the caller passes the center's offset (the console passes its own).
 */
import { AGENT_STATES, QUEUE_LIMITS, type AgentState, type Wallboard } from '../../src/shared/queue';
import type { Queryable } from '../db/database';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Call-backs due within this count as "due" on the board: the next hour's work. */
export const CALLBACKS_DUE_WITHIN_MS = HOUR_MS;

const ENDED = "('assigned', 'finished', 'abandoned', 'left', 'closed')";
const GAVE_UP = "('abandoned', 'left')";

export async function computeWallboard(db: Queryable, now: number, tzOffsetMinutes = 0): Promise<Wallboard> {
  const offset = tzOffsetMinutes * 60_000;
  const dayStart = Math.floor((now + offset) / DAY_MS) * DAY_MS - offset;
  const dayEnd = dayStart + DAY_MS;

  const [queue, agents, today, hourly, callbacks] = await Promise.all([
    db.query<{ n: number; oldest: number | string | null }>("SELECT count(*)::int AS n, min(enqueued_at) AS oldest FROM queue_requests WHERE state IN ('waiting', 'offered')"),
    db.query<{ state: AgentState; n: number }>('SELECT state, count(*)::int AS n FROM queue_agents GROUP BY state'),
    db.query<{ offered: number; answered: number; within: number; abandoned: number }>(
      `SELECT count(*) FILTER (WHERE state IN ${ENDED})::int AS offered,
              count(*) FILTER (WHERE assigned_at IS NOT NULL)::int AS answered,
              count(*) FILTER (WHERE assigned_at IS NOT NULL AND assigned_at - enqueued_at <= $3)::int AS within,
              count(*) FILTER (WHERE state IN ${GAVE_UP})::int AS abandoned
         FROM queue_requests WHERE enqueued_at >= $1 AND enqueued_at < $2`,
      [dayStart, dayEnd, QUEUE_LIMITS.serviceLevelMs],
    ),
    db.query<{ hour: number; answered: number; abandoned: number; median_ms: number | string | null }>(
      `SELECT ((enqueued_at - $1) / ${HOUR_MS})::int AS hour,
              count(*) FILTER (WHERE assigned_at IS NOT NULL)::int AS answered,
              count(*) FILTER (WHERE state IN ${GAVE_UP})::int AS abandoned,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY assigned_at - enqueued_at) FILTER (WHERE assigned_at IS NOT NULL) AS median_ms
         FROM queue_requests WHERE enqueued_at >= $1 AND enqueued_at < $2 GROUP BY 1`,
      [dayStart, dayEnd],
    ),
    db.query<{ n: number }>("SELECT count(*)::int AS n FROM queue_callbacks WHERE state IN ('booked', 'retry') AND due_at <= $1", [now + CALLBACKS_DUE_WITHIN_MS]),
  ]);

  const q = queue.rows[0];
  const oldest = q?.oldest === null || q?.oldest === undefined ? null : Number(q.oldest);
  const byState = Object.fromEntries(AGENT_STATES.map((s) => [s, 0])) as Record<AgentState, number>;
  for (const r of agents.rows) if (r.state in byState) byState[r.state] = Number(r.n);
  const t = today.rows[0] ?? { offered: 0, answered: 0, within: 0, abandoned: 0 };
  const [answered, within, abandoned] = [Number(t.answered), Number(t.within), Number(t.abandoned)];
  const hours = new Map(hourly.rows.map((r) => [Number(r.hour), r]));
  const currentHour = Math.min(23, Math.floor((now - dayStart) / HOUR_MS));
  return {
    at: now,
    waiting: Number(q?.n ?? 0),
    longestWaitS: oldest === null ? 0 : Math.max(0, Math.floor((now - oldest) / 1000)),
    agents: byState,
    today: {
      offered: Number(t.offered),
      answered,
      answeredWithinServiceLevel: within,
      serviceLevel: answered + abandoned === 0 ? null : within / (answered + abandoned),
      abandoned,
    },
    callbacksDue: Number(callbacks.rows[0]?.n ?? 0),
    hourly: Array.from({ length: currentHour + 1 }, (_, hour) => {
      const r = hours.get(hour);
      const median = r?.median_ms === null || r?.median_ms === undefined ? null : Math.round(Number(r.median_ms) / 100) / 10;
      return { hour, answered: Number(r?.answered ?? 0), abandoned: Number(r?.abandoned ?? 0), medianWaitS: median };
    }),
  };
}
