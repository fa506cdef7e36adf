import { useTranslation } from 'react-i18next';
import { useAppStore, type Page } from '../store/store';

// 质检 is listed for everyone: main decides who may use it (a lead token), and the page says why not
const PAGES: Page[] = ['workspace', 'cases', 'console', 'settings'];

export function NavBar() {
  const { t } = useTranslation();
  const page = useAppStore((s) => s.page);
  const setPage = useAppStore((s) => s.setPage);
  return (
    <nav className="nav" aria-label="main">
      {PAGES.map((name) => {
        // a case's page belongs to the case log
        const active = page === name || (name === 'cases' && page === 'case');
        return (
          <button key={name} type="button" data-testid={`nav-${name}`} className={active ? 'active' : ''} aria-current={active ? 'page' : undefined} onClick={() => setPage(name)}>
            {t(`nav.${name}`)}
          </button>
        );
      })}
    </nav>
  );
}
