/**
 * The engine process's side of the channel, whichever host started it:
 *  - Electron utilityProcess: `process.parentPort` exists; messages arrive as `{ data }` events and go back with
 *    `process.parentPort.postMessage` (Electron ends a utility process together with the app);
 *  - child_process.fork (headless host, CLI, tests): `process.send` / `process.on('message')`; when the parent
 *    goes away the IPC channel disconnects and this process exits, so no orphan engine keeps burning CPU.
 * This file must not import electron (only src/main/app/ may): the utility-process API is typed locally.
 */
import type { EngineReply, EngineRequest } from '../protocol';

export interface EnginePort {
  /** Never throws: a parent that is gone loses the message (and this process is about to exit). */
  send(message: EngineReply): void;
  onMessage(listener: (message: EngineRequest) => void): void;
}

/** The part of Electron's ParentPort (utilityProcess child) used here. */
interface UtilityParentPort {
  on(event: 'message', listener: (event: { data: unknown }) => void): unknown;
  postMessage(message: unknown): void;
}

export interface ParentPortOptions {
  /** Called when a fork parent disconnects; default: exit the process (code 0). */
  onParentGone?: () => void;
}

let disconnectHooked = false;

export function parentPort(options: ParentPortOptions = {}): EnginePort {
  const utility = (process as unknown as { parentPort?: UtilityParentPort }).parentPort;
  if (utility) {
    return {
      send(message) {
        try {
          utility.postMessage(message);
        } catch {
          // the app is shutting down; nothing is listening any more
        }
      },
      onMessage(listener) {
        utility.on('message', (event) => listener(event.data as EngineRequest));
      },
    };
  }

  if (typeof process.send === 'function') {
    if (!disconnectHooked) {
      disconnectHooked = true;
      const gone = options.onParentGone ?? (() => process.exit(0));
      process.once('disconnect', gone);
      // The disconnect is also how a SIGKILLed or crashed parent shows up here. Until then the IPC channel
      // keeps the event loop alive, as the engine should be while its parent runs.
    }
    return {
      send(message) {
        if (!process.connected || !process.send) return;
        try {
          // with a callback, a channel that closed meanwhile is reported to it instead of as an 'error' event
          process.send(message, undefined, undefined, (error: Error | null) => void error);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ERR_IPC_CHANNEL_CLOSED') throw error;
        }
      },
      onMessage(listener) {
        process.on('message', (message) => listener(message as EngineRequest));
      },
    };
  }

  throw new Error(
    'the face engine process has no parent to talk to: start it through the engine supervisor (Electron utilityProcess or child_process.fork), not directly',
  );
}
