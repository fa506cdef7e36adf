import { describe, expect, it } from 'vitest';
import type { CustomerQueueStatus } from '../shared/queue';
import { MESSAGES, messagesFor } from './i18n';
import { bookedModel, formatSlot, groupSlots, panelModel, slotsModel, waitMinutes } from './queue-model';
import type { QueueSnapshot } from './queue-session';

const zh = messagesFor('zh-CN');
const en = messagesFor('en');

function snapshot(patch: Partial<QueueSnapshot> = {}): QueueSnapshot {
  return { status: null, trouble: false, pane: 'status', slots: null, slotsLoading: false, slotNotice: null, booked: null, busy: false, actionFailed: false, fatal: null, ended: null, roomId: null, ...patch };
}

function status(patch: Partial<CustomerQueueStatus> = {}): CustomerQueueStatus {
  return { requestId: 'r1', state: 'waiting', position: 4, estimatedWaitS: 130, roomId: null, callback: null, ...patch };
}

// 2025-06-03 06:00 UTC = 14:00 in Shanghai = 02:00 in New York (EDT)
const slotStart = Date.UTC(2025, 5, 3, 6, 0);
const slot = { slotStart, slotEnd: slotStart + 15 * 60_000 };

describe('queue panel from the status', () => {
  it('shows the people ahead and the wait rounded up to whole minutes', () => {
    const model = panelModel(snapshot({ status: status() }), zh);
    expect(model).toMatchObject({ position: '您前面还有 3 位', positionNumber: 4, wait: '预计等待 约 3 分钟', note: null, connecting: false, canLeave: true, canBook: true });
    expect(panelModel(snapshot({ status: status({ position: 1, estimatedWaitS: 5 }) }), zh)).toMatchObject({ position: '您是下一位，请稍候', wait: '预计等待 约 1 分钟' });
    expect(panelModel(snapshot({ status: status({ estimatedWaitS: null }) }), zh).wait).toBe('正在估算等待时间');
    expect(panelModel(snapshot({ status: status() }), en)).toMatchObject({ position: '3 ahead of you', wait: 'Estimated wait: about 3 min' });
  });

  it('says 正在为您接通 once offered, with no wait and no booking', () => {
    for (const state of ['offered', 'assigned'] as const) {
      const model = panelModel(snapshot({ status: status({ state, position: null, estimatedWaitS: null }) }), zh);
      expect(model).toMatchObject({ position: '正在为您接通', positionNumber: null, wait: null, connecting: true, canLeave: false, canBook: false });
    }
  });

  it('keeps the last position on screen while the network is down, and says it retries', () => {
    const model = panelModel(snapshot({ status: status({ position: 7 }), trouble: true }), zh);
    expect(model.position).toBe('您前面还有 6 位');
    expect(model.note).toContain('网络中断，正在重试');
  });

  it('before the first answer: waiting, leaving allowed; while an action runs: no second one', () => {
    expect(panelModel(snapshot(), zh)).toMatchObject({ position: '正在为您排队，请稍候', positionNumber: null, canLeave: true, canBook: true });
    expect(panelModel(snapshot({ status: status(), busy: true }), zh)).toMatchObject({ canLeave: false, canBook: false });
    expect(panelModel(snapshot({ status: status(), actionFailed: true }), zh).note).toBe(zh.queue.actionFailed);
  });

  it('rounds estimates up and never shows zero minutes', () => {
    expect([0, 1, 59, 60, 61, 600].map(waitMinutes)).toEqual([1, 1, 1, 1, 2, 10]);
  });
});

describe('call-back slots in local time', () => {
  it('formats a slot in the given time zone', () => {
    expect(formatSlot(slot, 'zh-CN', 'Asia/Shanghai').time).toBe('14:00–14:15');
    expect(formatSlot(slot, 'en', 'America/New_York').time).toBe('02:00–02:15');
    expect(formatSlot(slot, 'zh-CN', 'Asia/Shanghai').day).toMatch(/6月3日/);
    expect(formatSlot(slot, 'en', 'America/New_York').day).toMatch(/3 June/);
  });

  it('groups slots by local day, in time order, with the places left', () => {
    const late = { slotStart: slotStart + 10 * 3_600_000, slotEnd: slotStart + 10 * 3_600_000 + 900_000, free: 1 };
    const early = { ...slot, free: 3 };
    // 16:00 UTC is midnight in Shanghai: the next day there, the same day in New York
    const shanghai = groupSlots([late, early], zh, 'zh-CN', 'Asia/Shanghai');
    expect(shanghai.map((d) => d.slots.map((s) => s.label))).toEqual([['14:00–14:15'], ['00:00–00:15']]);
    expect(shanghai[0]!.slots[0]).toMatchObject({ slotStart, free: '剩余 3 个' });
    const newYork = groupSlots([late, early], en, 'en', 'America/New_York');
    expect(newYork).toHaveLength(1);
    expect(newYork[0]!.slots.map((s) => s.label)).toEqual(['02:00–02:15', '12:00–12:15']);
  });

  it('says why the list is empty or shown again', () => {
    expect(slotsModel(snapshot({ pane: 'slots', slotsLoading: true }), zh, 'zh-CN').message).toBe(zh.callback.loading);
    expect(slotsModel(snapshot({ pane: 'slots', slots: [] }), zh, 'zh-CN').message).toBe(zh.callback.empty);
    expect(slotsModel(snapshot({ pane: 'slots', slots: [{ ...slot, free: 1 }], slotNotice: 'full' }), zh, 'zh-CN').message).toBe('该时段刚刚约满，请选择其他时段。');
    expect(slotsModel(snapshot({ pane: 'slots', slots: [{ ...slot, free: 1 }] }), zh, 'zh-CN', 'UTC').message).toBeNull();
  });

  it('confirms the booked slot in local time and that the same link works 10 minutes before', () => {
    const model = bookedModel(snapshot({ pane: 'booked', booked: slot }), zh, 'zh-CN', 'Asia/Shanghai');
    expect(model.slot).toMatch(/^预约时间：6月3日.* 14:00–14:15$/);
    expect(model.note).toContain('预约时间前 10 分钟起，用同一链接');
    expect(bookedModel(snapshot({ pane: 'booked' }), en, 'en').slot).toBe(en.callback.confirmedUnknownSlot);
  });
});

describe('queue texts', () => {
  it('has every queue text in both languages, none empty, placeholders kept', () => {
    const walk = (zhNode: unknown, enNode: unknown, path: string): void => {
      if (typeof zhNode === 'string') {
        expect(typeof enNode, path).toBe('string');
        expect(zhNode.length, path).toBeGreaterThan(0);
        expect((enNode as string).length, path).toBeGreaterThan(0);
        expect((enNode as string).match(/\{\w+\}/g) ?? [], path).toEqual(zhNode.match(/\{\w+\}/g) ?? []);
        return;
      }
      for (const key of Object.keys(zhNode as object)) walk((zhNode as Record<string, unknown>)[key], (enNode as Record<string, unknown>)[key], `${path}.${key}`);
    };
    for (const key of ['queue', 'callback', 'queueEnded', 'queueErrors'] as const) walk(MESSAGES['zh-CN'][key], MESSAGES.en[key], key);
    expect(zh.state.queueRetrying).toBe('网络中断，正在重试');
  });
});
