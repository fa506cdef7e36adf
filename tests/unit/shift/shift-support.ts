/** Shared parts of the shift tests: a hand-driven timer table, a real JPEG, a real case log, the shift service on it. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { DEFAULT_SHIFT_FACE_CHECK, type ShiftFaceCheckSettings, type ShiftStatus } from '../../../src/shared/shift';
import type { Notice } from '../../../src/shared/contract';
import { StaticKeyProvider } from '../../../src/main/caselog/key-provider';
import { deriveKeys } from '../../../src/main/caselog/keys';
import { CaseStore } from '../../../src/main/caselog/store';
import { silentLogger } from '../../../src/main/log/logger';
import type { SchedulerTimers } from '../../../src/main/shift/check-scheduler';
import { EnrolmentStore } from '../../../src/main/shift/enrolment-store';
import type { PresenceEngine } from '../../../src/main/shift/presence-check';
import { ShiftLog } from '../../../src/main/shift/shift-log';
import { ShiftService, type ShiftQueueSeat } from '../../../src/main/shift/shift-service';

/** Timers the test fires by hand: what is pending, with its delay, and fire(i) to run one. */
export class ManualTimers implements SchedulerTimers {
  pending = new Map<number, { fn: () => void; ms: number }>();
  private next = 1;
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.pending.set(id, { fn, ms });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  delays(): number[] {
    return [...this.pending.values()].map((t) => t.ms);
  }
  /** Runs the pending timer with this delay (the scheduler's or a check's answer timeout). */
  fire(ms: number): void {
    const entry = [...this.pending.entries()].find(([, t]) => t.ms === ms);
    if (!entry) throw new Error(`no timer of ${ms} ms pending (pending: ${this.delays().join(', ')})`);
    this.pending.delete(entry[0]);
    entry[1].fn();
  }
}

/** A small real JPEG (a grey square): passes the content check; what a synthetic engine "sees" is up to the test. */
export async function tinyJpegBase64(): Promise<string> {
  const jpeg = await sharp({ create: { width: 32, height: 32, channels: 3, background: { r: 128, g: 128, b: 128 } } }).jpeg().toBuffer();
  return jpeg.toString('base64');
}

export interface Harness {
  dir: string;
  store: CaseStore;
  log: ShiftLog;
  enrolments: EnrolmentStore;
  service: ShiftService;
  timers: ManualTimers;
  statuses: ShiftStatus[];
  notices: Notice[];
  settings: { agentId: string; shiftFaceCheck: ShiftFaceCheckSettings };
  randomCalls: number;
  close(): void;
}

export function harness(options: { engine: PresenceEngine | null; queue?: () => ShiftQueueSeat | null; random?: () => number; faceCheck?: Partial<ShiftFaceCheckSettings>; answerTimeoutMs?: number; agentId?: string }): Harness {
  const dir = mkdtempSync(join(tmpdir(), 'vd-shift-'));
  const keyProvider = new StaticKeyProvider(Buffer.alloc(32, 3));
  const store = CaseStore.open({ path: join(dir, 'cases.db'), keyProvider });
  const keys = deriveKeys(keyProvider);
  const log = new ShiftLog(store.db, keys.ledgerKey);
  const enrolments = new EnrolmentStore(store.db, keys.dataKey);
  const timers = new ManualTimers();
  const h: Harness = {
    dir,
    store,
    log,
    enrolments,
    timers,
    statuses: [],
    notices: [],
    settings: { agentId: options.agentId ?? 'agent-7', shiftFaceCheck: { ...DEFAULT_SHIFT_FACE_CHECK, ...options.faceCheck } },
    randomCalls: 0,
    service: null as unknown as ShiftService,
    close: () => {
      h.service.close();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const random = options.random ?? (() => 0.5);
  h.service = new ShiftService({
    log,
    enrolments,
    engine: options.engine,
    settings: () => h.settings,
    setAgentId: async (agentId) => {
      h.settings = { ...h.settings, agentId };
    },
    queue: options.queue ?? (() => null),
    emit: (s) => h.statuses.push(s),
    notice: (n) => h.notices.push(n),
    logger: silentLogger,
    random: () => {
      h.randomCalls++;
      return random();
    },
    answerTimeoutMs: options.answerTimeoutMs ?? 60_000,
    timers,
  });
  return h;
}
