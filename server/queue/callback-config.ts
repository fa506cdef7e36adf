/**
 * Settings of call-back appointments: options over environment over defaults. A malformed value throws, so
 * the server does not start with a calendar it cannot honour.
 *
 *   VERIDESK_CALLBACK_HOURS       opening hours, local time          default 09:00-18:00
 *   VERIDESK_CALLBACK_TZ_OFFSET   local time = UTC + this            default +08:00 (the customers are in China)
 *   VERIDESK_CALLBACK_CAPACITY    call-backs per slot per service    default 2, or per type: "transact=3,consult=1"
 *
 * Why 2 a slot: a video verification call takes about 5-8 minutes, so one agent kept for call-backs answers
 * about two in a 15-minute slot. A center with more agents per service type raises it; booking more than the
 * agents can answer only turns call-backs into waits.
 */
import { SERVICE_TYPES, type ServiceType } from '../../src/shared/cases';
import { checkCalendar, DEFAULT_CALENDAR, parseOpeningHours, parseTzOffset, type SlotCalendar } from './callback-slots';

export const DEFAULT_CAPACITY_PER_SLOT = 2;
/** The due sweep's period: a call-back enters the queue at most this late after its slot starts. */
export const DEFAULT_SWEEP_INTERVAL_MS = 5_000;

export interface CallbackOptions {
  /** Base of reminder links (`<publicUrl>/join/q/<requestId>#<secret>`); default the request's own origin. */
  publicUrl?: string;
  /** "HH:MM-HH:MM", local time. */
  openingHours?: string;
  /** Minutes east of UTC (480 = UTC+8). */
  tzOffsetMinutes?: number;
  /** Call-backs per slot: one number for every service type, or per type (unlisted types get the default). */
  capacityPerSlot?: number | Partial<Record<ServiceType, number>>;
  /** How many local days ahead may be booked (default 14). */
  maxDays?: number;
  /** The due sweep's period in ms (tests inject a short one; 0 = no timer, tests call the sweep themselves). */
  sweepIntervalMs?: number;
  /** The clock (epoch ms). */
  now?: () => number;
}

export interface CallbackConfig {
  publicUrl: string | undefined;
  calendar: SlotCalendar;
  capacity: Record<ServiceType, number>;
  sweepIntervalMs: number;
  now: () => number;
}

function checkCapacity(what: string, n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 1000) throw new Error(`${what} must be an integer 0-1000`);
  return n;
}

/** "2" or "transact=3,consult=1" (unlisted types keep `fallback`). */
export function parseCapacity(text: string, fallback = DEFAULT_CAPACITY_PER_SLOT): Record<ServiceType, number> {
  const out = Object.fromEntries(SERVICE_TYPES.map((t) => [t, fallback])) as Record<ServiceType, number>;
  if (/^\d+$/.test(text.trim())) {
    for (const t of SERVICE_TYPES) out[t] = checkCapacity('VERIDESK_CALLBACK_CAPACITY', Number(text));
    return out;
  }
  for (const part of text.split(',')) {
    const [type, n] = part.split('=').map((s) => s.trim());
    if (!type || !(SERVICE_TYPES as readonly string[]).includes(type) || !n || !/^\d+$/.test(n)) {
      throw new Error(`VERIDESK_CALLBACK_CAPACITY "${text}" is not a number or a list like transact=3,consult=1 (types: ${SERVICE_TYPES.join(', ')})`);
    }
    out[type as ServiceType] = checkCapacity(`capacity of ${type}`, Number(n));
  }
  return out;
}

export function resolveCallbackConfig(options: CallbackOptions = {}, env: NodeJS.ProcessEnv = process.env): CallbackConfig {
  const hours = options.openingHours ?? env.VERIDESK_CALLBACK_HOURS;
  const calendar: SlotCalendar = {
    ...DEFAULT_CALENDAR,
    ...(hours ? parseOpeningHours(hours) : {}),
    tzOffsetMinutes: options.tzOffsetMinutes ?? (env.VERIDESK_CALLBACK_TZ_OFFSET ? parseTzOffset(env.VERIDESK_CALLBACK_TZ_OFFSET) : DEFAULT_CALENDAR.tzOffsetMinutes),
    maxDays: options.maxDays ?? DEFAULT_CALENDAR.maxDays,
  };
  checkCalendar(calendar);
  let capacity: Record<ServiceType, number>;
  const given = options.capacityPerSlot;
  if (typeof given === 'number') capacity = parseCapacity(String(checkCapacity('capacityPerSlot', given)));
  else if (given) {
    capacity = parseCapacity(String(DEFAULT_CAPACITY_PER_SLOT));
    for (const [t, n] of Object.entries(given)) {
      if (!(SERVICE_TYPES as readonly string[]).includes(t)) throw new Error(`capacityPerSlot: unknown service type ${t}`);
      capacity[t as ServiceType] = checkCapacity(`capacity of ${t}`, n);
    }
  } else capacity = parseCapacity(env.VERIDESK_CALLBACK_CAPACITY ?? String(DEFAULT_CAPACITY_PER_SLOT));
  const sweepIntervalMs = options.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS;
  if (!Number.isInteger(sweepIntervalMs) || sweepIntervalMs < 0) throw new Error('call-back sweep interval must be a non-negative integer (ms)');
  return { publicUrl: options.publicUrl, calendar, capacity, sweepIntervalMs, now: options.now ?? Date.now };
}
