/**
 * The pipe between main and the engine process, whatever started it: child_process.fork in plain Node
 * (headless host, CLI, tests; fork-channel.ts) or Electron's utilityProcess in the app
 * (src/main/app/engine-utility-channel.ts). The supervisor only sees this interface.
 */
import type { EngineReply, EngineRequest } from '../protocol';

export interface EngineExit {
  /** Exit code, or null when a signal ended it (SIGABRT from a native abort, SIGKILL, …). */
  code: number | null;
  signal: string | null;
}

export interface EngineChannel {
  readonly pid: number | undefined;
  send(message: EngineRequest): void;
  onMessage(listener: (message: EngineReply) => void): void;
  /** Fires once, when the process is gone (or could not be started). */
  onExit(listener: (exit: EngineExit) => void): void;
  /** Ends the process (SIGKILL where the platform has it); onExit still fires. */
  kill(): void;
}

export interface EngineLaunch {
  /** The engine process entry (out/main/engine-process.js, or engine-main.ts under tsx). */
  modulePath: string;
  /** Node flags for the child, e.g. ['--import', tsx] from source. */
  execArgv: string[];
  env: NodeJS.ProcessEnv;
}

export type EngineChannelFactory = (launch: EngineLaunch) => EngineChannel;

/**
 * The listener bookkeeping every channel needs: messages go to every listener until the process is gone; the
 * exit is reported exactly once, also to a listener that subscribes after it (the supervisor's stop() does).
 */
export class ChannelEvents {
  private readonly messageListeners: Array<(message: EngineReply) => void> = [];
  private readonly exitListeners: Array<(exit: EngineExit) => void> = [];
  private exit: EngineExit | null = null;

  get exited(): boolean {
    return this.exit !== null;
  }

  message(message: EngineReply): void {
    if (!this.exit) for (const l of this.messageListeners) l(message);
  }

  finish(exit: EngineExit): void {
    if (this.exit) return;
    this.exit = exit;
    for (const l of this.exitListeners.splice(0)) l(exit);
  }

  onMessage(listener: (message: EngineReply) => void): void {
    this.messageListeners.push(listener);
  }

  onExit(listener: (exit: EngineExit) => void): void {
    const exit = this.exit;
    if (exit) queueMicrotask(() => listener(exit));
    else this.exitListeners.push(listener);
  }
}
