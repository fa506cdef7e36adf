import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { EventName, VeriDeskApi } from '../shared/contract';
import { IPC } from '../shared/ipc-channels';

// Frames go to main over a MessagePort that main hands over once the page has loaded (a fresh one per load).
let framePort: IpcRendererEvent['ports'][number] | null = null;
ipcRenderer.on(IPC.framePort, (event) => {
  // main closes its end of a superseded port; closing ours too lets both be collected
  framePort?.close();
  framePort = event.ports[0] ?? null;
});

const api: VeriDeskApi = {
  invoke: (method, params) => ipcRenderer.invoke(IPC.invoke, method, params),
  on: (event, listener) => {
    const wrapped = (_event: IpcRendererEvent, name: EventName, payload: unknown) => {
      if (name === event) (listener as (payload: unknown) => void)(payload);
    };
    ipcRenderer.on(IPC.event, wrapped);
    return () => {
      ipcRenderer.removeListener(IPC.event, wrapped);
    };
  },
  sendFrame: (frame) => framePort?.postMessage(frame, [frame]),
};

contextBridge.exposeInMainWorld('veridesk', api);
