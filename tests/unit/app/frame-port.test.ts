/**
 * The frame MessagePort is one per loaded page: a reload, a navigation of the main frame, a renderer crash or the
 * window closing closes the old port's main end and drops its listener, and the next load gets a new one.
 * Electron is mocked: MessageChannelMain makes fake ports that record close(), and the window is an EventEmitter.
 */
import { EventEmitter } from 'node:events';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { IPC } from '../../../src/shared/ipc-channels';

class FakePort extends EventEmitter {
  closed = 0;
  started = false;
  start = () => {
    this.started = true;
  };
  close = () => {
    this.closed += 1;
  };
}

const electron = vi.hoisted(() => ({ channels: [] as { port1: unknown; port2: unknown }[], windows: [] as unknown[] }));

vi.mock('electron', () => {
  class MessageChannelMain {
    port1 = new FakePort();
    port2 = new FakePort();
    constructor() {
      electron.channels.push(this);
    }
  }
  class BrowserWindow extends EventEmitter {
    webContents = new FakeContents();
    loadURL = vi.fn(async () => undefined);
    loadFile = vi.fn(async () => undefined);
    show = vi.fn();
    constructor(public options: unknown) {
      super();
      electron.windows.push(this);
    }
  }
  return { MessageChannelMain, BrowserWindow };
});

class FakeContents extends EventEmitter {
  url = 'app://veridesk/index.html';
  destroyed = false;
  posted: { channel: string; message: unknown; transfer?: unknown[] }[] = [];
  getURL = () => this.url;
  isDestroyed = () => this.destroyed;
  postMessage = (channel: string, message: unknown, transfer?: unknown[]) => this.posted.push({ channel, message, transfer });
  send = vi.fn();
  setWindowOpenHandler = vi.fn();
}

const { attachFramePort } = await import('../../../src/main/app/frame-port');
const { createAppWindow } = await import('../../../src/main/app/window');

const APP_URL = 'app://veridesk/index.html';
const channel = (i: number) => electron.channels[i] as { port1: FakePort; port2: FakePort };
const navigate = (contents: FakeContents, details = { isMainFrame: true, isSameDocument: false }) => contents.emit('did-start-navigation', details);
const frame = () => new Uint8Array([1, 2, 3]).buffer;

function setup(appUrl = APP_URL) {
  const contents = new FakeContents();
  const acceptFrame = vi.fn();
  const dispose = attachFramePort(contents, { appUrl, acceptFrame });
  return { contents, acceptFrame, dispose };
}

beforeEach(() => {
  electron.channels.length = 0;
  electron.windows.length = 0;
});

describe('attachFramePort', () => {
  it('hands the loaded app page a started port whose frames reach the workstation', () => {
    const { contents, acceptFrame } = setup();
    contents.emit('did-finish-load');
    expect(electron.channels).toHaveLength(1);
    const { port1, port2 } = channel(0);
    expect(contents.posted).toEqual([{ channel: IPC.framePort, message: null, transfer: [port2] }]);
    expect(port1.started).toBe(true);

    const buffer = frame();
    port1.emit('message', { data: buffer, ports: [] });
    port1.emit('message', { data: new Uint8Array([4]), ports: [] });
    port1.emit('message', { data: 'not a frame', ports: [] });
    port1.emit('message', { data: { bytes: [1] }, ports: [] });
    expect(acceptFrame).toHaveBeenCalledTimes(2);
    expect(acceptFrame).toHaveBeenNthCalledWith(1, buffer);
  });

  it('a reload closes the old port and removes its listener; the reloaded page gets a new one', () => {
    const { contents, acceptFrame } = setup();
    contents.emit('did-finish-load');
    const old = channel(0).port1;

    navigate(contents);
    expect(old.closed).toBe(1);
    expect(old.listenerCount('message')).toBe(0);
    expect(old.listenerCount('close')).toBe(0);
    old.emit('message', { data: frame(), ports: [] });
    expect(acceptFrame).not.toHaveBeenCalled();

    contents.emit('did-finish-load');
    expect(electron.channels).toHaveLength(2);
    const fresh = channel(1);
    expect(contents.posted.at(-1)).toEqual({ channel: IPC.framePort, message: null, transfer: [fresh.port2] });
    fresh.port1.emit('message', { data: frame(), ports: [] });
    expect(acceptFrame).toHaveBeenCalledOnce();
    expect(fresh.port1.closed).toBe(0);
    expect(old.closed).toBe(1);
  });

  it('a second load without a navigation event still closes the previous port first', () => {
    const { contents } = setup();
    contents.emit('did-finish-load');
    contents.emit('did-finish-load');
    expect(channel(0).port1.closed).toBe(1);
    expect(channel(0).port1.listenerCount('message')).toBe(0);
    expect(channel(1).port1.closed).toBe(0);
  });

  it('keeps the port across hash routing and sub-frame navigations', () => {
    const { contents } = setup();
    contents.emit('did-finish-load');
    navigate(contents, { isMainFrame: true, isSameDocument: true });
    navigate(contents, { isMainFrame: false, isSameDocument: false });
    expect(channel(0).port1.closed).toBe(0);
    expect(channel(0).port1.listenerCount('message')).toBe(1);
  });

  it.each(['render-process-gone', 'destroyed'])('closes the port on %s', (event) => {
    const { contents } = setup();
    contents.emit('did-finish-load');
    contents.emit(event);
    expect(channel(0).port1.closed).toBe(1);
    expect(channel(0).port1.listenerCount('message')).toBe(0);
  });

  it('after dispose the port is closed and no later load gets one', () => {
    const { contents, dispose } = setup();
    contents.emit('did-finish-load');
    dispose();
    expect(channel(0).port1.closed).toBe(1);
    contents.emit('did-finish-load');
    expect(electron.channels).toHaveLength(1);
    dispose();
    expect(channel(0).port1.closed).toBe(1);
  });

  it('forgets a port the page end closed, and closes it once only', () => {
    const { contents } = setup();
    contents.emit('did-finish-load');
    const port = channel(0).port1;
    port.emit('close');
    expect(port.listenerCount('message')).toBe(0);
    navigate(contents);
    expect(port.closed).toBe(1);
  });

  it('gives no port to a page that is not the app', () => {
    const { contents } = setup();
    for (const url of ['https://evil.example/', 'app://evil/index.html', 'file:///opt/VeriDesk/resources/app.asar/out/renderer/index.html']) {
      contents.url = url;
      contents.emit('did-finish-load');
    }
    expect(electron.channels).toHaveLength(0);
    expect(contents.posted).toEqual([]);
  });

  it('hands the dev server page its port in development', () => {
    const { contents } = setup('http://localhost:5173/');
    contents.url = 'http://localhost:5173/';
    contents.emit('did-finish-load');
    expect(contents.posted).toHaveLength(1);
  });
});

describe('createAppWindow', () => {
  function open() {
    const unsubscribe = vi.fn();
    const workstation = { acceptFrame: vi.fn(), bus: { subscribe: vi.fn(() => unsubscribe) } };
    createAppWindow({ appUrl: APP_URL, preloadPath: '/app/out/preload/index.cjs', workstation: workstation as never });
    const window = electron.windows[0] as EventEmitter & { webContents: FakeContents; loadURL: ReturnType<typeof vi.fn>; loadFile: ReturnType<typeof vi.fn> };
    return { window, workstation, unsubscribe };
  }

  it('loads app:// with loadURL, never a file path', () => {
    const { window } = open();
    expect(window.loadURL).toHaveBeenCalledWith(APP_URL);
    expect(window.loadFile).not.toHaveBeenCalled();
  });

  it('routes port frames to the workstation and closes the port when the window closes', () => {
    const { window, workstation, unsubscribe } = open();
    window.webContents.emit('did-finish-load');
    channel(0).port1.emit('message', { data: frame(), ports: [] });
    expect(workstation.acceptFrame).toHaveBeenCalledOnce();

    window.webContents.emit('did-start-navigation', { isMainFrame: true, isSameDocument: false });
    window.webContents.emit('did-finish-load');
    expect(channel(0).port1.closed).toBe(1);

    window.emit('closed');
    expect(channel(1).port1.closed).toBe(1);
    expect(channel(1).port1.listenerCount('message')).toBe(0);
    expect(unsubscribe).toHaveBeenCalledOnce();
  });
});
