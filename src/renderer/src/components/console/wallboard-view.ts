/**
 * The 坐席看板's view model (ConsoleWallboard.tsx draws it): the backend's Wallboard as the texts a lead reads at a
 * glance and the hourly chart's series. Pure, so the formatting rules are tested without a DOM.
 */
import type { ConsoleSource } from '../../../../shared/console';
import { AGENT_STATES, type AgentState, type Wallboard } from '../../../../shared/queue';
import { percent } from './format';

/** How often the open board asks again: a wallboard a minute old is a wrong wallboard, 10 s keeps it live. */
export const WALLBOARD_REFRESH_MS = 10_000;

/** Only the backend has a queue: the case log and imported bundles hold finished cases, never waiting customers. */
export const wallboardAvailable = (source: ConsoleSource): boolean => source === 'backend';

/** A wait as m:ss ("3:20"); minutes keep counting past 59 (an hour's wait reads 60:00, not 0:00). */
export function waitClock(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.round(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** The share answered within 20 s; "—" when nobody was answered or abandoned today (not 0 %, which would be a bad day). */
export const serviceLevelText = (level: number | null): string => percent(level);

export interface WallboardTile {
  /** i18n key under console.wallboard.tiles. */
  id: 'waiting' | 'longestWait' | 'answered' | 'serviceLevel' | 'abandoned' | 'callbacksDue';
  testId: string;
  value: string;
}

export interface WallboardAgentCount {
  state: AgentState;
  testId: string;
  value: string;
}

export interface WallboardChart {
  /** "09:00" … one per hour of today up to now. */
  categories: string[];
  answered: number[];
  abandoned: number[];
  /** Seconds; null in an hour nobody was answered (the line skips it rather than dropping to 0). */
  medianWaitS: (number | null)[];
}

export interface WallboardView {
  tiles: WallboardTile[];
  agents: WallboardAgentCount[];
  chart: WallboardChart;
  /** Whether any hour of today had traffic: a quiet day's empty chart gets a line saying so. */
  hasTraffic: boolean;
  /** The server's clock at computing, HH:mm:ss in the lead's zone. */
  updatedAt: string;
}

const two = (n: number) => String(n).padStart(2, '0');

/** The server's instant as HH:mm:ss, `tzOffsetMinutes` east of UTC (the same zone the board's day was asked for). */
export function clockAt(at: number, tzOffsetMinutes: number): string {
  const d = new Date(at + tzOffsetMinutes * 60_000);
  return `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
}

export function wallboardView(board: Wallboard, tzOffsetMinutes: number): WallboardView {
  const { today } = board;
  const tiles: WallboardTile[] = [
    { id: 'waiting', testId: 'wallboard-waiting', value: String(board.waiting) },
    { id: 'longestWait', testId: 'wallboard-longest-wait', value: waitClock(board.longestWaitS) },
    { id: 'answered', testId: 'wallboard-answered', value: String(today.answered) },
    { id: 'serviceLevel', testId: 'wallboard-service-level', value: serviceLevelText(today.serviceLevel) },
    { id: 'abandoned', testId: 'wallboard-abandoned', value: String(today.abandoned) },
    { id: 'callbacksDue', testId: 'wallboard-callbacks-due', value: String(board.callbacksDue) },
  ];
  // every state in the selector's order, 0 for one the server left out (it sends all; a count never goes missing here)
  const agents = AGENT_STATES.map((state) => ({ state, testId: `wallboard-agents-${state}`, value: String(board.agents[state] ?? 0) }));
  const hours = [...board.hourly].sort((a, b) => a.hour - b.hour);
  const chart: WallboardChart = {
    categories: hours.map((h) => `${two(h.hour)}:00`),
    answered: hours.map((h) => h.answered),
    abandoned: hours.map((h) => h.abandoned),
    medianWaitS: hours.map((h) => (h.medianWaitS === null ? null : Math.round(h.medianWaitS))),
  };
  return { tiles, agents, chart, hasTraffic: hours.some((h) => h.answered > 0 || h.abandoned > 0), updatedAt: clockAt(board.at, tzOffsetMinutes) };
}
