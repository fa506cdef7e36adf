import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import './i18n';
import './styles.css';
import { App } from './App';
import { loadFromMain, subscribeToMain } from './bootstrap';
import { useAppStore } from './store/store';
import { ApiContext } from './transport/api-context';
import { connectApi } from './transport/api';

const api = connectApi((state) => {
  useAppStore.getState().setConnection(state);
  // deferred: with Electron IPC the state is 'open' before connectApi returns
  if (state === 'open') queueMicrotask(() => void loadFromMain(api));
});
subscribeToMain(api);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ApiContext.Provider value={api}>
      <App />
    </ApiContext.Provider>
  </StrictMode>,
);
