import { beforeEach, describe, expect, it, vi } from 'vitest';
import { IPC } from '../../shared/ipc-channels';
import { silentLogger } from '../log/logger';
import type { Workstation } from '../workstation';

const handlers = new Map<string, (...args: unknown[]) => unknown>();
vi.mock('electron', () => ({
  ipcMain: {
    handle: (channel: string, handler: (...args: unknown[]) => unknown) => handlers.set(channel, handler),
    removeHandler: (channel: string) => handlers.delete(channel),
  },
}));

const { registerIpc } = await import('./ipc');
const APP_URL = 'app://veridesk/index.html';

function fakeWorkstation() {
  const dispatch = vi.fn(async () => ({ ok: true as const, value: 'dispatched' }));
  return { dispatch, workstation: { dispatch } as unknown as Workstation };
}
const event = (url: string, parent: object | null = null) => ({ senderFrame: { url, parent } });

describe('Electron IPC wiring', () => {
  beforeEach(() => handlers.clear());

  it('dispatches calls from the app window main frame', async () => {
    const { dispatch, workstation } = fakeWorkstation();
    registerIpc(workstation, APP_URL, silentLogger);
    const result = await handlers.get(IPC.invoke)!(event(APP_URL), 'settings.get', {});
    expect(result).toEqual({ ok: true, value: 'dispatched' });
    expect(dispatch).toHaveBeenCalledWith('settings.get', {});
    // the origin decides, not the path: hash routes and other app pages are the same page
    await handlers.get(IPC.invoke)!(event('app://veridesk/index.html#/settings'), 'settings.get', {});
    await handlers.get(IPC.invoke)!(event('app://veridesk/'), 'settings.get', {});
    expect(dispatch).toHaveBeenCalledTimes(3);
  });

  it.each([
    ['a remote page', event('https://evil.example/index.html')],
    ['another local file', event('file:///tmp/evil.html')],
    ['the renderer loaded from file:// (the old app URL)', event('file:///opt/VeriDesk/resources/app.asar/out/renderer/index.html')],
    ['another app:// host', event('app://evil/index.html')],
    ['an app:// host that only starts like ours', event('app://veridesk.evil/index.html')],
    ['app:// with a port', event('app://veridesk:8080/index.html')],
    ['an opaque origin (data:)', event('data:text/html,<p>hi</p>')],
    ['about:blank', event('about:blank')],
    ['a sub-frame of the app page', event(APP_URL, { url: APP_URL })],
    ['a destroyed frame', { senderFrame: null }],
  ])('refuses %s with FORBIDDEN_SENDER and never dispatches', async (_what, senderEvent) => {
    const { dispatch, workstation } = fakeWorkstation();
    registerIpc(workstation, APP_URL, silentLogger);
    const result = await handlers.get(IPC.invoke)!(senderEvent, 'settings.update', { language: 'en' });
    expect(result).toMatchObject({ ok: false, error: { code: 'FORBIDDEN_SENDER' } });
    expect(dispatch).not.toHaveBeenCalled();
  });

  it('accepts the dev server origin in development', async () => {
    const { dispatch, workstation } = fakeWorkstation();
    registerIpc(workstation, 'http://localhost:5173/', silentLogger);
    await handlers.get(IPC.invoke)!(event('http://localhost:5173/#/settings'), 'app.info', {});
    expect(dispatch).toHaveBeenCalled();
    await handlers.get(IPC.invoke)!(event('http://localhost:5174/'), 'app.info', {});
    expect(dispatch).toHaveBeenCalledTimes(1);
  });
});
