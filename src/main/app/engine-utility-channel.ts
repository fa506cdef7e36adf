/**
 * The engine process in the app: an Electron utilityProcess (a Chromium-managed Node child that Electron ends with
 * the app). Thin by design — the supervisor and the engine are plain Node and tested without Electron; this only
 * maps utilityProcess's API onto EngineChannel. Messages are structured clones, so pixels stay Uint8Arrays.
 *
 * Electron's 'exit' gives only a code, never a signal: a native crash shows as a non-zero code (the signal number
 * Chromium read from waitpid, e.g. 11 for SIGSEGV), so signal is always null here. Call after app 'ready'.
 */
import { utilityProcess, type UtilityProcess } from 'electron';
import type { EngineReply, EngineRequest } from '../engine/protocol';
import { ChannelEvents, type EngineChannel, type EngineChannelFactory, type EngineExit, type EngineLaunch } from '../engine/process/channel';

export const utilityChannel: EngineChannelFactory = (launch: EngineLaunch): EngineChannel => {
  const events = new ChannelEvents();
  let lastPid: number | undefined;

  const finish = (exit: EngineExit) => events.finish(exit);

  let child: UtilityProcess | null = null;
  try {
    child = utilityProcess.fork(launch.modulePath, [], {
      execArgv: launch.execArgv,
      env: launch.env,
      serviceName: 'VeriDesk face engine',
      stdio: 'inherit',
    });
    lastPid = child.pid;
  } catch {
    // e.g. called before app 'ready': the supervisor sees a process that never started
    queueMicrotask(() => finish({ code: null, signal: null }));
  }

  if (child) {
    const c = child;
    c.on('spawn', () => {
      lastPid = c.pid;
    });
    c.on('message', (message: EngineReply) => events.message(message));
    c.on('exit', (code: number) => finish({ code, signal: null }));
  }

  return {
    get pid() {
      return child?.pid ?? lastPid;
    },
    send(message: EngineRequest): void {
      if (events.exited || !child) return;
      try {
        child.postMessage(message);
      } catch {
        // the process is going away; its 'exit' reports it
      }
    },
    onMessage: (listener) => events.onMessage(listener),
    onExit: (listener) => events.onExit(listener),
    kill(): void {
      if (events.exited || !child) return;
      try {
        child.kill();
      } catch {
        // already gone
      }
    },
  };
};
