/**
 * The 坐席看板's view model with the real dictionaries: waits as m:ss, the service level as % (— with no traffic),
 * every agent state counted, the hourly chart's series in hour order, the board only for the backend source, and
 * every tile's label present in Chinese (the default) and English.
 */
import { describe, expect, it } from 'vitest';
import { CONSOLE_SOURCES } from '../../../../shared/console';
import { WallboardSchema, type Wallboard } from '../../../../shared/queue';
import { en } from '../../i18n/en';
import { zhCN } from '../../i18n/zh-CN';
import { clockAt, serviceLevelText, waitClock, WALLBOARD_REFRESH_MS, wallboardAvailable, wallboardView } from './wallboard-view';

/** 2026-03-02 06:30:05 UTC = 14:30:05 in Beijing. */
const AT = Date.UTC(2026, 2, 2, 6, 30, 5);

const board = (over: Partial<Wallboard> = {}): Wallboard =>
  WallboardSchema.parse({
    at: AT,
    waiting: 4,
    longestWaitS: 200,
    agents: { ready: 2, busy: 1, away: 1, offline: 0 },
    today: { offered: 7, answered: 4, answeredWithinServiceLevel: 3, serviceLevel: 0.5, abandoned: 2 },
    callbacksDue: 3,
    hourly: [
      { hour: 9, answered: 2, abandoned: 0, medianWaitS: 15 },
      { hour: 7, answered: 1, abandoned: 0, medianWaitS: 5.4 },
      { hour: 8, answered: 0, abandoned: 1, medianWaitS: null },
    ],
    ...over,
  });

const byTest = (v: ReturnType<typeof wallboardView>) => Object.fromEntries([...v.tiles, ...v.agents].map((x) => [x.testId, x.value]));

describe('the wallboard view model', () => {
  it('formats a seeded board: waits as m:ss, the service level as %, every agent state with its test id', () => {
    const v = wallboardView(board(), 480);
    expect(byTest(v)).toEqual({
      'wallboard-waiting': '4',
      'wallboard-longest-wait': '3:20',
      'wallboard-answered': '4',
      'wallboard-service-level': '50.0%',
      'wallboard-abandoned': '2',
      'wallboard-callbacks-due': '3',
      'wallboard-agents-ready': '2',
      'wallboard-agents-busy': '1',
      'wallboard-agents-away': '1',
      'wallboard-agents-offline': '0',
    });
    expect(v.updatedAt).toBe('14:30:05');
  });

  it('shows — for the service level of a day without traffic (not 0 %), and 0:00 when nobody waits', () => {
    const v = wallboardView(board({ waiting: 0, longestWaitS: 0, today: { offered: 0, answered: 0, answeredWithinServiceLevel: 0, serviceLevel: null, abandoned: 0 }, hourly: [{ hour: 0, answered: 0, abandoned: 0, medianWaitS: null }] }), 0);
    expect(byTest(v)['wallboard-service-level']).toBe('—');
    expect(byTest(v)['wallboard-longest-wait']).toBe('0:00');
    expect(v.hasTraffic).toBe(false);
    expect(serviceLevelText(0)).toBe('0.0%');
    expect(serviceLevelText(1 / 3)).toBe('33.3%');
  });

  it('writes waits as m:ss, minutes counting past an hour; nonsense as —', () => {
    expect([0, 9, 59, 60, 61, 200, 599.6, 3600, 3725].map(waitClock)).toEqual(['0:00', '0:09', '0:59', '1:00', '1:01', '3:20', '10:00', '60:00', '62:05']);
    expect([null, -1, Number.NaN].map(waitClock)).toEqual(['—', '—', '—']);
  });

  it("draws the hourly series in hour order: answered and abandoned bars, the median wait's gaps kept as gaps", () => {
    const { chart, hasTraffic } = wallboardView(board(), 480);
    expect(chart).toEqual({ categories: ['07:00', '08:00', '09:00'], answered: [1, 0, 2], abandoned: [0, 1, 0], medianWaitS: [5, null, 15] });
    expect(hasTraffic).toBe(true);
  });

  it("the clock is the server's instant in the asked zone, across midnight", () => {
    expect(clockAt(Date.UTC(2026, 2, 1, 23, 59, 59), 0)).toBe('23:59:59');
    expect(clockAt(Date.UTC(2026, 2, 1, 23, 59, 59), 480)).toBe('07:59:59');
    expect(clockAt(Date.UTC(2026, 2, 2, 1, 0, 0), -300)).toBe('20:00:00');
  });

  it('is offered for the backend source only, and refreshes every 10 s', () => {
    expect(CONSOLE_SOURCES.filter(wallboardAvailable)).toEqual(['backend']);
    expect(WALLBOARD_REFRESH_MS).toBe(10_000);
  });

  it('has every label in Chinese (the default) and English, and says on screen that only the backend has a board', () => {
    const v = wallboardView(board(), 480);
    for (const messages of [zhCN, en]) {
      const w = messages.console.wallboard as { tiles: Record<string, string> };
      for (const tile of [...v.tiles.map((x) => x.id), 'agents']) expect(w.tiles[tile], tile).toMatch(/\S/);
      expect(messages.console.tabs.wallboard).toMatch(/\S/);
    }
    expect(zhCN.console.wallboard.backendOnly).toContain('看板只在后端数据源可用');
    expect(zhCN.console.tabs.wallboard).toBe('坐席看板');
    expect(zhCN.console.wallboard.tiles).toMatchObject({ waiting: '当前排队', longestWait: '最长等待', agents: '坐席状态', answered: '今日接通', abandoned: '放弃', callbacksDue: '待回电' });
  });
});
