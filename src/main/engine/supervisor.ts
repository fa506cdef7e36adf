/**
 * EngineSupervisor: keeps the engine process alive. It starts the process through an EngineChannel
 * (child_process.fork here, Electron's utilityProcess in the app), loads the models, restarts the process
 * with backoff after a crash or a failed load, gives up after too many failures in a row, and reports it all
 * as EngineStatus. A native fault in onnxruntime or libvips (SIGABRT, SIGSEGV) ends only that process.
 *
 * It knows nothing about frames beyond passing messages: scheduling lives in scheduler.ts, the API in service.ts.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { EngineStatus } from '../../shared/contract';
import { AppFailure } from '../../shared/errors';
import type { Logger } from '../log/logger';
import type { EngineChannel, EngineChannelFactory, EngineExit, EngineLaunch } from './process/channel';
import { forkChannel } from './process/fork-channel';
import type { EngineReply, EngineRequest, InitRequest } from './protocol';

export interface SupervisorOptions {
  logger: Logger;
  init: Omit<InitRequest, 'type'>;
  /** How to start the process (default: child_process.fork). */
  channel?: EngineChannelFactory;
  /** The engine process entry (default: found next to this module, see resolveEngineEntry). */
  entry?: { modulePath: string; execArgv: string[] };
  /** Consecutive failed starts before the state becomes 'failed' (default 5). */
  maxConsecutiveFailures?: number;
  /** First restart delay; doubles per consecutive failure up to 10 s (default 500 ms). */
  restartDelayMs?: number;
}

type Listener<T> = (value: T) => void;

/** The engine process entry: engine-main.ts under tsx/vitest, engine-process.js in the electron-vite build. */
export function resolveEngineEntry(here: string = import.meta.url): { modulePath: string; execArgv: string[] } {
  if (here.endsWith('.ts')) {
    const tsx = pathToFileURL(createRequire(here).resolve('tsx')).href;
    return { modulePath: fileURLToPath(new URL('./process/engine-main.ts', here)), execArgv: ['--import', tsx] };
  }
  // electron-vite emits out/main/engine-process.js; this module may sit in out/main/ or out/main/chunks/.
  const candidates = ['./engine-process.js', '../engine-process.js', './engine-process.mjs', '../engine-process.mjs'].map((n) => new URL(n, here));
  for (const url of candidates) if (existsSync(fileURLToPath(url))) return { modulePath: fileURLToPath(url), execArgv: [] };
  throw new AppFailure('UNAVAILABLE', `engine process script not found next to ${fileURLToPath(here)} (expected engine-process.js; rebuild with: npm run build)`);
}

export class EngineSupervisor {
  private channel: EngineChannel | null = null;
  private state: EngineStatus = { state: 'stopped', provider: null, restarts: 0 };
  private readonly statusListeners = new Set<Listener<EngineStatus>>();
  private readonly replyListeners = new Set<Listener<EngineReply>>();
  private readonly goneListeners = new Set<Listener<string>>();
  private readyWaiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  private consecutiveFailures = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  private stopping = false;
  private readonly log: Logger;

  constructor(private readonly options: SupervisorOptions) {
    this.log = options.logger.child({ component: 'engine' });
  }

  status(): EngineStatus {
    return { ...this.state };
  }

  onStatus(listener: Listener<EngineStatus>): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  /** Every message from the current engine process except ready/initError. */
  onReply(listener: Listener<EngineReply>): () => void {
    this.replyListeners.add(listener);
    return () => this.replyListeners.delete(listener);
  }

  /** The process ended (crash, kill, failed load); whatever was in it is lost. */
  onGone(listener: Listener<string>): () => void {
    this.goneListeners.add(listener);
    return () => this.goneListeners.delete(listener);
  }

  /**
   * Starts the engine; resolves when the models are loaded, rejects if it ends up 'failed'. After 'failed',
   * start() is a fresh start: the failure count begins again at zero.
   */
  start(): Promise<void> {
    this.stopping = false;
    if (this.state.state === 'ready') return Promise.resolve();
    if (this.state.state === 'failed' || this.state.state === 'stopped') this.consecutiveFailures = 0;
    const ready = new Promise<void>((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
    if (!this.channel && !this.restartTimer) this.spawn('starting');
    return ready;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    const channel = this.channel;
    this.channel = null;
    for (const w of this.readyWaiters.splice(0)) w.reject(new AppFailure('UNAVAILABLE', 'engine stopped'));
    if (channel) {
      const exited = new Promise<void>((resolve) => channel.onExit(() => resolve()));
      channel.kill();
      await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
      this.emitGone('engine stopped');
    }
    this.setStatus({ state: 'stopped', provider: null, restarts: this.state.restarts });
  }

  /** Resolves once ready; rejects at once when stopped or failed. */
  whenReady(): Promise<void> {
    if (this.state.state === 'ready') return Promise.resolve();
    if (this.state.state === 'stopped' || this.state.state === 'failed') {
      return Promise.reject(new AppFailure('UNAVAILABLE', `face engine is ${this.state.state}${this.state.message ? `: ${this.state.message}` : ''}`));
    }
    return new Promise<void>((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
  }

  get ready(): boolean {
    return this.state.state === 'ready' && this.channel !== null;
  }

  /** Sends to the running engine; false when there is none (the caller treats the message as lost). */
  send(message: EngineRequest): boolean {
    if (!this.channel) return false;
    this.channel.send(message);
    return true;
  }

  /** Merges figures that change while ready (load, degraded) into the status and tells listeners. */
  updateLoad(load: number, degraded: boolean): void {
    if (this.state.state !== 'ready') return;
    this.setStatus({ ...this.state, load, degraded });
  }

  private setStatus(next: EngineStatus): void {
    this.state = next;
    const snapshot = { ...next };
    for (const l of this.statusListeners) {
      try {
        l(snapshot);
      } catch (error) {
        this.log.warn({ err: error }, 'engine status listener failed');
      }
    }
  }

  private spawn(state: 'starting' | 'restarting'): void {
    this.restartTimer = null;
    let channel: EngineChannel;
    try {
      const entry = this.options.entry ?? resolveEngineEntry();
      const launch: EngineLaunch = { ...entry, env: { ...process.env } };
      channel = (this.options.channel ?? forkChannel)(launch);
    } catch (error) {
      this.setStatus({ ...this.state, state, provider: null, pid: undefined });
      this.onProcessGone(null, error instanceof Error ? error.message : String(error));
      return;
    }
    this.channel = channel;
    this.setStatus({ state, provider: null, restarts: this.state.restarts, message: this.state.message, pid: channel.pid });
    channel.onMessage((m) => this.onMessage(channel, m));
    channel.onExit((exit) => {
      if (this.channel === channel) this.onProcessGone(channel, describeExit(exit));
    });
    channel.send({ type: 'init', ...this.options.init });
  }

  private onProcessGone(channel: EngineChannel | null, reason: string): void {
    if (channel && this.channel === channel) {
      this.channel = null;
      channel.kill();
    }
    this.emitGone(reason);
    if (this.stopping) return;
    this.consecutiveFailures++;
    const max = this.options.maxConsecutiveFailures ?? 5;
    if (this.consecutiveFailures > max) {
      this.log.error({ reason }, 'engine failed permanently');
      this.setStatus({ state: 'failed', provider: null, restarts: this.state.restarts, message: reason });
      for (const w of this.readyWaiters.splice(0)) w.reject(new AppFailure('UNAVAILABLE', `face engine failed: ${reason}`));
      return;
    }
    const delay = Math.min(10_000, (this.options.restartDelayMs ?? 500) * 2 ** (this.consecutiveFailures - 1));
    this.log.warn({ reason, delay }, 'engine process will restart');
    this.setStatus({ state: 'restarting', provider: null, restarts: this.state.restarts + 1, message: reason });
    this.restartTimer = setTimeout(() => this.spawn('restarting'), delay);
  }

  private emitGone(reason: string): void {
    for (const l of this.goneListeners) {
      try {
        l(reason);
      } catch (error) {
        this.log.warn({ err: error }, 'engine gone listener failed');
      }
    }
  }

  private onMessage(channel: EngineChannel, message: EngineReply): void {
    if (channel !== this.channel) return;
    switch (message.type) {
      case 'ready':
        this.consecutiveFailures = 0;
        this.log.info({ provider: message.provider, probes: message.probes, pid: channel.pid }, 'engine ready');
        this.setStatus({ state: 'ready', provider: message.provider, restarts: this.state.restarts, pid: channel.pid, probes: message.probes, load: 0, degraded: false });
        for (const w of this.readyWaiters.splice(0)) w.resolve();
        break;
      case 'initError':
        this.log.error({ code: message.code, message: message.message, probes: message.probes }, 'engine failed to load');
        // a load failure counts like a crash: restart with backoff, then give up
        this.onProcessGone(channel, message.message);
        return;
      default:
        break;
    }
    for (const l of this.replyListeners) {
      try {
        l(message);
      } catch (error) {
        this.log.warn({ err: error }, 'engine reply listener failed');
      }
    }
  }
}

function describeExit(exit: EngineExit): string {
  if (exit.signal) return `engine process killed by ${exit.signal}`;
  return `engine process exited (code ${exit.code ?? 'unknown'})`;
}
