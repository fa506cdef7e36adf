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
