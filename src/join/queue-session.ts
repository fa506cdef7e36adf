/**
 * A queued customer's side of the queue: polls the request's status (the polls are also how the server
 * knows the customer is still there), keeps the last good answer through network trouble, and runs the
 * customer's actions (leave, list call-back slots, book one). It knows nothing of the DOM or the call:
 * main.ts renders its snapshot and joins the room it reports.
 */
import { QUEUE_LIMITS, type CallbackSlot, type CustomerQueueStatus, type RequestState } from '../shared/queue';
import type { ServiceType } from '../shared/cases';
import { ROOM_ID_PATTERN } from '../shared/signaling';
import { QueueApiError, type QueueApi, type QueueApiCode } from './queue-api';
import { isAcceptableRequestId } from './queue-link';

export const QUEUE_TIMING = {
  /** Status poll while waiting (the brief's "about every 2 s"); well inside the server's presence timeout. */
  pollMs: 2_000,
  /** While a booked call-back is far off: enough to notice the reminder window opening. */
  bookedPollMs: 30_000,
  /** Retries after a failed poll: 2 s doubling to 15 s, so a customer back online is seen before the presence timeout (30 s). */
  backoffBaseMs: 2_000,
  backoffMaxMs: 15_000,
} as const;

/** Delay before retry number `attempt` (1 = first retry): exponential, jitter on the upper half so a server restart is not hit by every page at once. */
export function queueBackoffDelay(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(QUEUE_TIMING.backoffMaxMs, QUEUE_TIMING.backoffBaseMs * 2 ** Math.max(0, Math.min(attempt - 1, 10)));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Codes after which polling again cannot help: the link is wrong, or no longer this customer's. */
const FATAL_CODES = new Set<QueueApiCode>(['NOT_FOUND', 'UNAUTHENTICATED', 'FORBIDDEN']);
export type QueueFatal = 'NOT_FOUND' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'LINK_INVALID';

/** How waiting ended for this page without a call. */
export type QueueEnd = 'left' | 'abandoned' | 'closed' | 'finished';
const ENDED_STATES: Partial<Record<RequestState, QueueEnd>> = { left: 'left', abandoned: 'abandoned', closed: 'closed', finished: 'finished' };

export type QueuePane = 'status' | 'slots' | 'booked';

export interface BookedSlot {
  slotStart: number;
  slotEnd: number;
}

export interface QueueSnapshot {
  /** The last status the server gave (kept through network trouble, so the position stays on screen). */
  status: CustomerQueueStatus | null;
  /** Polls are failing; the page retries with backoff. */
  trouble: boolean;
  pane: QueuePane;
  slots: CallbackSlot[] | null;
  slotsLoading: boolean;
  /** Why the slot list is shown again: the chosen slot was taken, or the list could not be loaded. */
  slotNotice: 'full' | 'failed' | null;
  /** The booked call-back, when known (from a status, a booking answer, or the slot list). */
  booked: BookedSlot | null;
  /** A leave / booking request is in flight: the buttons are disabled. */
  busy: boolean;
  /** The last action did not go through (network); the customer may try again. */
  actionFailed: boolean;
  fatal: QueueFatal | null;
  ended: QueueEnd | null;
  /** The agent's room, once assigned; the session stops polling then. */
  roomId: string | null;
}

export interface QueueSessionEvents {
  onChange(snapshot: QueueSnapshot): void;
  /** Once: an agent accepted; join this room with the request's secret. */
  onRoom(roomId: string): void;
}

export class QueueSession {
  private snapshot: QueueSnapshot = {
    status: null,
    trouble: false,
    pane: 'status',
    slots: null,
    slotsLoading: false,
    slotNotice: null,
    booked: null,
    busy: false,
    actionFailed: false,
    fatal: null,
    ended: null,
    roomId: null,
  };
  private timer: ReturnType<typeof setTimeout> | undefined;
  private failures = 0;
  private polling = false;
  private stopped = false;
  /** Bumped by every answer that changes the request's state, so a poll answered before it is ignored. */
  private epoch = 0;
  private serviceType: ServiceType | null = null;

  constructor(
    private readonly api: QueueApi,
    private readonly events: QueueSessionEvents,
    private readonly now: () => number = Date.now,
    private readonly random: () => number = Math.random,
    /** A booking this browser remembers (credentials.ts), shown if the server answers REMINDER_NOT_OPEN. */
    booked: BookedSlot | null = null,
  ) {
    this.snapshot = { ...this.snapshot, booked };
  }

  get current(): QueueSnapshot {
    return this.snapshot;
  }

  start(): void {
    this.stopped = false;
    void this.poll();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Polls at once (back online, tab visible again), unless a poll is already on its way. */
  pollNow(): void {
    if (this.stopped || this.polling) return;
    clearTimeout(this.timer);
    void this.poll();
  }

  async leave(): Promise<void> {
    if (this.snapshot.busy || this.isOver()) return;
    this.update({ busy: true, actionFailed: false });
    try {
      await this.api.leave();
      this.epoch += 1;
      this.finish('left');
    } catch (error) {
      this.update({ busy: false });
      this.afterActionError(error);
    }
  }

  async openSlots(): Promise<void> {
    if (this.isOver()) return;
    this.update({ pane: 'slots', slotNotice: null, actionFailed: false });
    await this.loadSlots();
  }

  backToStatus(): void {
    if (this.snapshot.pane === 'slots') this.update({ pane: 'status', slotNotice: null });
  }

  async book(slotStart: number): Promise<void> {
    if (this.snapshot.busy || this.isOver()) return;
    const chosen = this.snapshot.slots?.find((slot) => slot.slotStart === slotStart);
    if (!chosen) return; // only a slot the server offered can be booked
    this.update({ busy: true, actionFailed: false, slotNotice: null });
    try {
      const answer = await this.api.book(slotStart);
      this.epoch += 1;
      const booked = answer.kind === 'callback' ? { slotStart: answer.callback.slotStart, slotEnd: answer.callback.slotEnd } : answer.kind === 'status' && answer.status.callback ? answer.status.callback : chosen;
      this.update({ busy: false, pane: 'booked', booked: { slotStart: booked.slotStart, slotEnd: booked.slotEnd } });
      if (answer.kind === 'status') this.apply(answer.status);
      else this.schedule(this.bookedInterval());
    } catch (error) {
      this.update({ busy: false });
      if (error instanceof QueueApiError && (error.code === 'SLOT_FULL' || error.code === 'SLOT_INVALID')) {
        this.update({ slotNotice: 'full' });
        await this.loadSlots();
        return;
      }
      if (error instanceof QueueApiError && error.code === 'REMINDER_NOT_OPEN') {
        this.update({ pane: 'booked', booked: this.snapshot.booked ?? { slotStart: chosen.slotStart, slotEnd: chosen.slotEnd } });
        return;
      }
      this.afterActionError(error);
    }
  }

  private async loadSlots(): Promise<void> {
    this.update({ slotsLoading: true });
    try {
      const answer = await this.api.slots(this.serviceType);
      this.serviceType = answer.serviceType;
      const now = this.now();
      // a slot already begun, or one without room, is no choice for the customer
      const slots = answer.slots.filter((slot) => slot.free > 0 && slot.slotStart > now && slot.slotEnd > slot.slotStart).sort((a, b) => a.slotStart - b.slotStart);
      this.update({ slots, slotsLoading: false });
    } catch (error) {
      this.update({ slotsLoading: false, slotNotice: 'failed' });
      if (error instanceof QueueApiError && FATAL_CODES.has(error.code)) this.fail(error.code as QueueFatal);
    }
  }

  private afterActionError(error: unknown): void {
    if (error instanceof QueueApiError && error.code === 'NOT_WAITING') {
      // the request moved on meanwhile (an agent accepted, the call-back fell due): the status says where
      this.update({ pane: 'status' });
      this.pollNow();
      return;
    }
    if (error instanceof QueueApiError && FATAL_CODES.has(error.code)) return this.fail(error.code as QueueFatal);
    this.update({ actionFailed: true });
  }

  private async poll(): Promise<void> {
    if (this.stopped) return;
    this.timer = undefined;
    this.polling = true;
    const epoch = this.epoch;
    try {
      const status = await this.api.status();
      if (this.stopped || epoch !== this.epoch) return;
      this.failures = 0;
      if (this.snapshot.trouble) this.update({ trouble: false });
      this.apply(status);
    } catch (error) {
      if (this.stopped || epoch !== this.epoch) return;
      if (error instanceof QueueApiError && FATAL_CODES.has(error.code)) return this.fail(error.code as QueueFatal);
      if (error instanceof QueueApiError && error.code === 'REMINDER_NOT_OPEN') {
        // a booked call-back opened before its window: show the booking, look again later
        this.failures = 0;
        this.update({ pane: 'booked', trouble: false });
        return this.schedule(this.bookedInterval());
      }
      // anything else (network down, timeout, 5xx, a body that fails its schema): keep the last status and retry calmly
      this.failures += 1;
      this.update({ trouble: true });
      this.schedule(queueBackoffDelay(this.failures, this.random));
    } finally {
      this.polling = false;
    }
  }

  private apply(status: CustomerQueueStatus): void {
    if (status.requestId !== this.api.requestId && isAcceptableRequestId(status.requestId)) this.api.follow(status.requestId);
    if (status.callback) this.serviceType = status.callback.serviceType;
    const ended = ENDED_STATES[status.state];
    if (ended) {
      this.update({ status });
      return this.finish(ended);
    }
    if (status.roomId !== null) {
      if (!ROOM_ID_PATTERN.test(status.roomId)) return this.fail('LINK_INVALID');
      this.stop();
      this.update({ status, roomId: status.roomId, pane: 'status' });
      this.events.onRoom(status.roomId);
      return;
    }
    if (status.state === 'callback') {
      const booked = status.callback ? { slotStart: status.callback.slotStart, slotEnd: status.callback.slotEnd } : this.snapshot.booked;
      this.update({ status, pane: 'booked', booked });
      return this.schedule(this.bookedInterval());
    }
    // waiting, offered, or assigned with the room still being made; a due call-back is back in the queue too
    this.update({ status, pane: this.snapshot.pane === 'booked' ? 'status' : this.snapshot.pane });
    this.schedule(QUEUE_TIMING.pollMs);
  }

  /** Far from the slot a slow poll; inside the reminder window as often as while waiting. */
  private bookedInterval(): number {
    const booked = this.snapshot.booked;
    if (booked && this.now() < booked.slotStart - QUEUE_LIMITS.reminderOpensBeforeMs - QUEUE_TIMING.bookedPollMs) return QUEUE_TIMING.bookedPollMs;
    return booked ? QUEUE_TIMING.pollMs : QUEUE_TIMING.bookedPollMs;
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.poll(), delay);
  }

  private finish(ended: QueueEnd): void {
    this.stop();
    this.update({ ended, busy: false });
  }

  private fail(fatal: QueueFatal): void {
    this.stop();
    this.update({ fatal, busy: false });
  }

  private isOver(): boolean {
    return this.snapshot.ended !== null || this.snapshot.fatal !== null || this.snapshot.roomId !== null;
  }

  private update(patch: Partial<QueueSnapshot>): void {
    this.snapshot = { ...this.snapshot, ...patch };
    this.events.onChange(this.snapshot);
  }
}
