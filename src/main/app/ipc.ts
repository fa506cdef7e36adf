import { ipcMain, type IpcMainInvokeEvent } from 'electron';
import { IPC } from '../../shared/ipc-channels';
import { fail } from '../../shared/errors';
import type { Logger } from '../log/logger';
import type { Workstation } from '../workstation';
import { isTrustedSender } from './trusted-sender';

/** The Electron IPC transport of the contract: every call is checked for its sender, then validated by the dispatcher. */
export function registerIpc(workstation: Workstation, appUrl: string, log: Logger): () => void {
  ipcMain.handle(IPC.invoke, async (event: IpcMainInvokeEvent, method: unknown, params: unknown) => {
    const frame = event.senderFrame;
    const trusted = isTrustedSender(frame ? { url: frame.url, isMainFrame: frame.parent === null } : null, appUrl);
    if (!trusted) {
      log.warn({ method: String(method).slice(0, 64) }, 'IPC from untrusted sender refused');
      return fail('FORBIDDEN_SENDER', 'sender is not the app window');
    }
    return workstation.dispatch(method, params);
  });
  return () => ipcMain.removeHandler(IPC.invoke);
}
