/**
 * Call-back slot arithmetic (docs/queue.md "Call-backs"), pure: which instants are bookable slot starts, and
 * the slots of the next N local days. A slot is QUEUE_LIMITS.slotMs long and lies inside the center's opening
 * hours, which are a local time of day in a fixed UTC offset (China has no daylight saving, so a fixed offset
 * is exact there; a center elsewhere sets its own offset and accepts the DST drift).
 */
import { QUEUE_LIMITS } from '../../src/shared/queue';

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

export interface SlotCalendar {
  /** Opening and closing time of day, minutes after local midnight (a slot must end by the close). */
  openMinute: number;
  closeMinute: number;
  /** Local time = UTC + this many minutes (China: +480). */
  tzOffsetMinutes: number;
  /** How many local days ahead (today included) may be booked. */
  maxDays: number;
  slotMs: number;
}

export const DEFAULT_CALENDAR: SlotCalendar = { openMinute: 9 * 60, closeMinute: 18 * 60, tzOffsetMinutes: 8 * 60, maxDays: 14, slotMs: QUEUE_LIMITS.slotMs };

/** Throws a message naming the bad setting: a server with an impossible calendar must not start. */
export function checkCalendar(c: SlotCalendar): void {
  const slotMinutes = c.slotMs / MINUTE_MS;
  if (!Number.isInteger(slotMinutes) || slotMinutes <= 0) throw new Error('call-back slot length must be a whole number of minutes');
  if (!Number.isInteger(c.tzOffsetMinutes) || Math.abs(c.tzOffsetMinutes) > 14 * 60) throw new Error('call-back time zone offset must be whole minutes within ±14:00');
  if (!Number.isInteger(c.openMinute) || !Number.isInteger(c.closeMinute) || c.openMinute < 0 || c.closeMinute > 24 * 60 || c.openMinute >= c.closeMinute) {
    throw new Error('call-back opening hours must be HH:MM-HH:MM with the opening before the closing, within one day');
  }
  // Slots start at the opening time; an opening off the slot grid would make the last slot overhang the close.
  if (c.openMinute % slotMinutes !== 0 || c.closeMinute % slotMinutes !== 0) throw new Error(`call-back opening hours must be on the ${slotMinutes}-minute slot grid`);
  if (!Number.isInteger(c.maxDays) || c.maxDays < 1 || c.maxDays > 60) throw new Error('call-back booking horizon must be 1-60 days');
}

/** "09:00-18:00" → minutes; throws on anything else. */
export function parseOpeningHours(text: string): { openMinute: number; closeMinute: number } {
  const m = /^(\d{2}):(\d{2})-(\d{2}):(\d{2})$/.exec(text.trim());
  if (!m) throw new Error(`call-back opening hours "${text}" are not HH:MM-HH:MM`);
  const [h1, m1, h2, m2] = m.slice(1).map(Number) as [number, number, number, number];
  if (m1 > 59 || m2 > 59 || h1 > 24 || h2 > 24) throw new Error(`call-back opening hours "${text}" are not valid times`);
  return { openMinute: h1 * 60 + m1, closeMinute: h2 * 60 + m2 };
}

/** "+08:00", "-05:30", "+8" → minutes; throws on anything else. */
export function parseTzOffset(text: string): number {
  const m = /^([+-])(\d{1,2})(?::?(\d{2}))?$/.exec(text.trim());
  if (!m) throw new Error(`call-back time zone offset "${text}" is not like +08:00`);
  const minutes = Number(m[2]) * 60 + Number(m[3] ?? 0);
  return m[1] === '-' ? -minutes : minutes;
}

/** Local midnight (as epoch ms) of the local day containing `t`. */
export function localDayStart(c: SlotCalendar, t: number): number {
  const offset = c.tzOffsetMinutes * MINUTE_MS;
  return Math.floor((t + offset) / DAY_MS) * DAY_MS - offset;
}

export type SlotProblem = 'not_integer' | 'misaligned' | 'past' | 'outside_hours' | 'too_far';

/** Why `slotStart` cannot be booked at `now`, or null when it can. */
export function slotProblem(c: SlotCalendar, slotStart: number, now: number): SlotProblem | null {
  if (!Number.isSafeInteger(slotStart)) return 'not_integer';
  const dayStart = localDayStart(c, slotStart);
  const intoDay = slotStart - dayStart;
  if ((intoDay - c.openMinute * MINUTE_MS) % c.slotMs !== 0) return 'misaligned';
  // A slot that has begun is past: its call-back would be due before it was booked.
  if (slotStart <= now) return 'past';
  if (intoDay < c.openMinute * MINUTE_MS || intoDay + c.slotMs > c.closeMinute * MINUTE_MS) return 'outside_hours';
  if (dayStart >= localDayStart(c, now) + c.maxDays * DAY_MS) return 'too_far';
  return null;
}

export const SLOT_PROBLEM_TEXT: Record<SlotProblem, string> = {
  not_integer: 'slotStart must be an integer epoch-ms time',
  misaligned: 'slotStart is not the start of a call-back slot (use one from callback-slots)',
  past: 'that slot has already begun',
  outside_hours: 'that slot is outside the opening hours',
  too_far: 'that slot is beyond the booking horizon',
};

/** Every bookable slot start of the next `days` local days (today included), after `now`, in order. */
export function upcomingSlots(c: SlotCalendar, now: number, days: number): number[] {
  const out: number[] = [];
  const today = localDayStart(c, now);
  for (let d = 0; d < Math.min(days, c.maxDays); d++) {
    const day = today + d * DAY_MS;
    for (let t = day + c.openMinute * MINUTE_MS; t + c.slotMs <= day + c.closeMinute * MINUTE_MS; t += c.slotMs) if (t > now) out.push(t);
  }
  return out;
}
