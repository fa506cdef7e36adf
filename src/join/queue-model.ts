/**
 * Queue mode's texts from the session's snapshot: a pure function of the snapshot, the language and
 * the time zone (the customer's own, so a booked slot reads in the customer's local time). The DOM
 * side (queue-view.ts) only copies these strings into elements.
 */
import { QUEUE_LIMITS, type CallbackSlot } from '../shared/queue';
import type { Language, Messages } from './i18n';
import type { BookedSlot, QueueSnapshot } from './queue-session';

export interface QueuePanelModel {
  /** 您前面还有 N 位 / 您是下一位 / 正在为您接通. */
  position: string;
  /** The 1-based position for tests and styling; null when not known or no longer waiting. */
  positionNumber: number | null;
  /** 预计等待 约 M 分钟; null once an agent is being connected. */
  wait: string | null;
  /** 网络中断，正在重试 (position kept), or a failed action; null when all is well. */
  note: string | null;
  connecting: boolean;
  /** Leave and book are offered only while waiting, and not twice at once. */
  canLeave: boolean;
  canBook: boolean;
}

export interface SlotChoice {
  slotStart: number;
  /** The time range in local time, e.g. 14:00–14:15. */
  label: string;
  free: string;
}

export interface SlotDay {
  /** The day in local time, e.g. 6月3日周二. */
  day: string;
  slots: SlotChoice[];
}

export interface SlotsModel {
  days: SlotDay[];
  /** Loading / none free / the chosen one was taken / could not load. */
  message: string | null;
  busy: boolean;
}

export interface BookedModel {
  slot: string;
  note: string;
}

const fill = (template: string, values: Record<string, string | number>): string =>
  template.replace(/\{(\w+)\}/g, (whole, key: string) => (key in values ? String(values[key]) : whole));

/** Minutes shown for an estimate: rounded up, never "0 minutes" while still waiting. */
export function waitMinutes(estimatedWaitS: number): number {
  return Math.max(1, Math.ceil(estimatedWaitS / 60));
}

function locale(language: Language): string {
  return language === 'zh-CN' ? 'zh-CN' : 'en-GB';
}

function dayFormat(language: Language, timeZone: string | undefined): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat(locale(language), { month: 'long', day: 'numeric', weekday: 'short', timeZone });
}

function timeFormat(language: Language, timeZone: string | undefined): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat(locale(language), { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone });
}

/** A slot in local time: its day and its time range. `timeZone` undefined = the device's own zone. */
export function formatSlot(slot: BookedSlot, language: Language, timeZone?: string): { day: string; time: string } {
  const time = timeFormat(language, timeZone);
  return { day: dayFormat(language, timeZone).format(slot.slotStart), time: `${time.format(slot.slotStart)}–${time.format(slot.slotEnd)}` };
}

/** Slots by local day, in time order, so a long list stays readable on a phone. */
export function groupSlots(slots: readonly CallbackSlot[], messages: Messages, language: Language, timeZone?: string): SlotDay[] {
  const days: SlotDay[] = [];
  for (const slot of [...slots].sort((a, b) => a.slotStart - b.slotStart)) {
    const { day, time } = formatSlot(slot, language, timeZone);
    let group = days[days.length - 1];
    if (!group || group.day !== day) {
      group = { day, slots: [] };
      days.push(group);
    }
    group.slots.push({ slotStart: slot.slotStart, label: time, free: fill(messages.callback.free, { free: slot.free }) });
  }
  return days;
}

export function panelModel(snapshot: QueueSnapshot, messages: Messages): QueuePanelModel {
  const status = snapshot.status;
  const connecting = status !== null && (status.state === 'offered' || status.state === 'assigned');
  const waiting = status !== null && status.state === 'waiting';
  let position: string;
  let positionNumber: number | null = null;
  if (connecting) position = messages.queue.connecting;
  else if (waiting && status.position !== null) {
    positionNumber = status.position;
    position = status.position <= 1 ? messages.queue.next : fill(messages.queue.ahead, { n: status.position - 1 });
  } else position = messages.queue.positionUnknown;
  let wait: string | null = null;
  if (!connecting) wait = waiting && status.estimatedWaitS !== null ? fill(messages.queue.wait, { m: waitMinutes(status.estimatedWaitS) }) : messages.queue.waitUnknown;
  const note = snapshot.trouble ? messages.queue.retrying : snapshot.actionFailed ? messages.queue.actionFailed : null;
  // before the first answer the request is taken as waiting: leaving must work even while the network is bad
  const mayAct = !connecting && !snapshot.busy;
  return { position, positionNumber, wait, note, connecting, canLeave: mayAct, canBook: mayAct && (waiting || status === null) };
}

export function slotsModel(snapshot: QueueSnapshot, messages: Messages, language: Language, timeZone?: string): SlotsModel {
  const days = groupSlots(snapshot.slots ?? [], messages, language, timeZone);
  let message: string | null = null;
  if (snapshot.slotsLoading) message = messages.callback.loading;
  else if (snapshot.slotNotice === 'failed') message = messages.callback.failed;
  else if (snapshot.slotNotice === 'full') message = messages.callback.full;
  else if (snapshot.slots !== null && days.length === 0) message = messages.callback.empty;
  else if (snapshot.actionFailed) message = messages.queue.actionFailed;
  return { days, message, busy: snapshot.busy };
}

export function bookedModel(snapshot: QueueSnapshot, messages: Messages, language: Language, timeZone?: string): BookedModel {
  const minutes = Math.round(QUEUE_LIMITS.reminderOpensBeforeMs / 60_000);
  const note = fill(messages.callback.confirmedNote, { minutes });
  if (!snapshot.booked) return { slot: messages.callback.confirmedUnknownSlot, note };
  const { day, time } = formatSlot(snapshot.booked, language, timeZone);
  return { slot: fill(messages.callback.confirmedSlot, { slot: `${day} ${time}` }), note };
}
