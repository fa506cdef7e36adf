import { NavBar } from './components/NavBar';
import { Notices } from './components/Notices';
import { StatusBar } from './components/StatusBar';
import { CaseLogPage } from './pages/CaseLogPage';
import { SettingsPage } from './pages/SettingsPage';
import { WorkspacePage } from './pages/WorkspacePage';
import { useAppStore } from './store/store';

export function App() {
  const page = useAppStore((s) => s.page);
  return (
    <div className="app">
      <StatusBar />
      <div className="body">
        <NavBar />
        <main>
          <Notices />
          {page === 'workspace' && <WorkspacePage />}
          {page === 'cases' && <CaseLogPage />}
          {page === 'settings' && <SettingsPage />}
        </main>
      </div>
    </div>
  );
}
