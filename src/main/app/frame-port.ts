/**
 * The frame channel's MessagePort, one per loaded page. Each load of the app page gets a fresh MessageChannelMain;
 * the previous page's main end is closed and its listener removed as soon as that page starts to go away (a
 * reload or navigation of the main frame, a renderer crash, the window closing). Without that every reload left
 * a live port behind holding a listener onto the workstation, and a page the app did not load could inherit it.
 */
import { MessageChannelMain, type MessageEvent, type MessagePortMain } from 'electron';
import { IPC } from '../../shared/ipc-channels';
import { isTrustedSender } from './trusted-sender';

interface NavigationDetails {
  isMainFrame: boolean;
  isSameDocument: boolean;
}

/** The few WebContents members this needs, so tests pass an EventEmitter. */
export interface FramePortContents {
  on(event: 'did-finish-load' | 'render-process-gone' | 'destroyed', listener: () => void): unknown;
  on(event: 'did-start-navigation', listener: (details: NavigationDetails) => void): unknown;
  getURL(): string;
  isDestroyed(): boolean;
  postMessage(channel: string, message: unknown, transfer?: MessagePortMain[]): void;
}

export interface FramePortOptions {
  appUrl: string;
  acceptFrame(frame: ArrayBuffer | Uint8Array): unknown;
}

/** Hands each loaded app page its own frame port; the returned function closes the current one for good. */
export function attachFramePort(contents: FramePortContents, { appUrl, acceptFrame }: FramePortOptions): () => void {
  let current: { port: MessagePortMain; onMessage: (event: MessageEvent) => void; onClose: () => void } | null = null;
  let disposed = false;

  const release = () => {
    if (!current) return;
    const { port, onMessage, onClose } = current;
    current = null;
    port.removeListener('message', onMessage);
    port.removeListener('close', onClose);
    port.close();
  };

  const open = () => {
    release();
    if (disposed || contents.isDestroyed()) return;
    // the port feeds verification: only the app's own page gets one, never a page that slipped past will-navigate
    if (!isTrustedSender({ url: contents.getURL(), isMainFrame: true }, appUrl)) return;
    const { port1, port2 } = new MessageChannelMain();
    const onMessage = ({ data }: MessageEvent) => {
      if (data instanceof ArrayBuffer || data instanceof Uint8Array) acceptFrame(data);
      else if (ArrayBuffer.isView(data)) acceptFrame(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    };
    // the page's end went away on its own (the renderer dropped it): forget this port so the next load starts clean
    const onClose = () => {
      if (current?.port === port1) release();
    };
    current = { port: port1, onMessage, onClose };
    port1.on('message', onMessage);
    port1.on('close', onClose);
    port1.start();
    contents.postMessage(IPC.framePort, null, [port2]);
  };

  contents.on('did-finish-load', open);
  contents.on('did-start-navigation', (details) => {
    // hash routing is a same-document navigation: the page and its port stay
    if (details.isMainFrame && !details.isSameDocument) release();
  });
  contents.on('render-process-gone', release);
  contents.on('destroyed', release);

  return () => {
    disposed = true;
    release();
  };
}
