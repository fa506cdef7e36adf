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
import type { EngineChannel, EngineChannelFactory, EngineExit, EngineLaunch } from '../engine/process/channel';

export const utilityChannel: EngineChannelFactory = (launch: EngineLaunch): EngineChannel => {
  const messageListeners: ((message: EngineReply) => void)[] = [];
  const exitListeners: ((exit: EngineExit) => void)[] = [];
  let exited: EngineExit | null = null;
  let lastPid: number | undefined;

  const finish = (exit: EngineExit) => {
    if (exited) return;
    exited = exit;
    for (const l of exitListeners.splice(0)) l(exit);
  };

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
    c.on('message', (message: EngineReply) => {
      if (!exited) for (const l of messageListeners) l(message);
    });
    c.on('exit', (code: number) => finish({ code, signal: null }));
  }

  return {
    get pid() {
      return child?.pid ?? lastPid;
    },
    send(message: EngineRequest): void {
      if (exited || !child) return;
      try {
        child.postMessage(message);
      } catch {
        // the process is going away; its 'exit' reports it
      }
    },
    onMessage(listener) {
      messageListeners.push(listener);
    },
    onExit(listener) {
      if (exited) {
        const exit = exited;
        queueMicrotask(() => listener(exit));
      } else exitListeners.push(listener);
    },
    kill(): void {
      if (exited || !child) return;
      try {
        child.kill();
      } catch {
        // already gone
      }
    },
  };
};
