/**
 * The engine process as a plain Node child (child_process.fork): the headless host, the CLI and the tests.
 * 'advanced' serialization (the structured clone algorithm) keeps Uint8Array pixels binary instead of JSON
 * arrays of numbers. The child may die at any moment (a native abort in an execution provider), so send()
 * never throws once it is gone, and onExit fires exactly once: on 'exit', or on 'error' when it never started.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { EngineReply, EngineRequest } from '../protocol';
import { ChannelEvents, type EngineChannel, type EngineChannelFactory, type EngineExit, type EngineLaunch } from './channel';

export const forkChannel: EngineChannelFactory = (launch: EngineLaunch): EngineChannel => {
  const events = new ChannelEvents();
  let started = false;

  const finish = (exit: EngineExit) => events.finish(exit);

  let child: ChildProcess | null = null;
  try {
    child = fork(launch.modulePath, [], {
      execArgv: launch.execArgv,
      env: launch.env,
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
  } catch {
    // invalid arguments throw synchronously; the caller still gets a channel whose onExit reports it
    queueMicrotask(() => finish({ code: null, signal: null }));
  }

  if (child) {
    const c = child;
    c.on('spawn', () => {
      started = true;
    });
    c.on('message', (message: EngineReply) => events.message(message));
    c.on('exit', (code, signal) => finish({ code, signal }));
    // Before 'spawn' an 'error' means it could not be started (no 'exit' follows). Later ones (a failed kill)
    // leave the process running or already gone, and 'exit' reports that.
    c.on('error', () => {
      if (!started) finish({ code: null, signal: null });
    });
  }

  return {
    get pid() {
      return child?.pid;
    },
    send(message: EngineRequest): void {
      if (events.exited || !child?.connected) return;
      try {
        // the callback takes the error of a channel that closed meanwhile (otherwise an 'error' event)
        child.send(message, (error) => void error);
      } catch (error) {
        // the channel closed between the check and the write; a message that cannot be cloned is a bug
        if ((error as NodeJS.ErrnoException).code !== 'ERR_IPC_CHANNEL_CLOSED') throw error;
      }
    },
    onMessage: (listener) => events.onMessage(listener),
    onExit: (listener) => events.onExit(listener),
    kill(): void {
      if (events.exited || !child) return;
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone: 'exit' reports it
      }
    },
  };
};
