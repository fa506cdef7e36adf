import { lazy, Suspense } from 'react';
import { NavBar } from './components/NavBar';
import { Notices } from './components/Notices';
import { OfferBanner } from './components/queue/OfferBanner';
import { StatusBar } from './components/StatusBar';
import { CaseLogPage } from './pages/CaseLogPage';
import { CasePage } from './pages/CasePage';
import { SettingsPage } from './pages/SettingsPage';
import { WorkspacePage } from './pages/WorkspacePage';
import { useAppStore } from './store/store';

// 质检 (ECharts, the virtual table) is a chunk of its own: an agent's workstation never loads it
const ConsolePage = lazy(() => import('./pages/ConsolePage').then((m) => ({ default: m.ConsolePage })));

export function App() {
  const page = useAppStore((s) => s.page);
  const caseId = useAppStore((s) => s.caseId);
  return (
    <div className="app">
      <StatusBar />
      <div className="body">
        <NavBar />
        <main>
          <Notices />
          <OfferBanner />
          {page === 'workspace' && <WorkspacePage />}
          {page === 'cases' && <CaseLogPage />}
          {page === 'case' && caseId && <CasePage key={caseId} caseId={caseId} />}
          {page === 'console' && (
            <Suspense fallback={null}>
              <ConsolePage />
            </Suspense>
          )}
          {page === 'settings' && <SettingsPage />}
        </main>
      </div>
    </div>
  );
}
