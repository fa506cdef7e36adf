import type { VeriDeskApi } from '../../shared/contract';
import { subscribeToCall, syncCallFromMain } from './call/call-service';
import { subscribeToDesk, syncDeskFromMain } from './desk/desk-service';
import { subscribeToQueue, syncQueueFromMain } from './components/queue/queue-actions';
import { setLanguage } from './i18n';
import { useAppStore } from './store/store';

/** Subscribes the store to main's events (once per api). */
export function subscribeToMain(api: VeriDeskApi): () => void {
  const store = useAppStore.getState();
  const unsubscribers = [
    api.on('settings.changed', (settings) => {
      store.setSettings(settings);
      setLanguage(settings.language);
    }),
    api.on('diagnostics.streams', (streams) => store.setStreams(streams)),
    api.on('engine.status', (status) => store.setEngine(status)),
    api.on('backend.status', (status) => store.setBackend(status)),
    api.on('sync.status', (status) => store.setSync(status)),
    api.on('app.notice', (notice) => store.addNotice(notice)),
    ...subscribeToCall(api),
    ...subscribeToDesk(api),
    ...subscribeToQueue(api),
  ];
  return () => unsubscribers.forEach((unsubscribe) => unsubscribe());
}

/** Loads the state main owns; called whenever the transport (re)connects. */
export async function loadFromMain(api: VeriDeskApi): Promise<void> {
  const store = useAppStore.getState();
  const [info, settings, engine, backend, sync] = await Promise.all([
    api.invoke('app.info', {}),
    api.invoke('settings.get', {}),
    api.invoke('engine.status', {}),
    api.invoke('backend.status', {}),
    api.invoke('sync.status', {}),
  ]);
  if (info.ok) store.setAppInfo(info.value);
  if (settings.ok) {
    store.setSettings(settings.value);
    setLanguage(settings.value.language);
  }
  if (engine.ok) store.setEngine(engine.value);
  if (backend.ok) store.setBackend(backend.value);
  if (sync.ok) store.setSync(sync.value);
  const failed = [info, settings, engine, backend, sync].find((result) => !result.ok);
  if (failed && !failed.ok) store.setLastError(failed.error);
  // the desk does not wait for the call's media to come back up (camera, peer): its state is main's alone
  await Promise.all([syncCallFromMain(api), syncDeskFromMain(api), syncQueueFromMain(api)]);
}
