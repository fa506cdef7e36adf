import { useTranslation } from 'react-i18next';
import { useAppStore, type Page } from '../store/store';

const PAGES: Page[] = ['workspace', 'cases', 'settings'];

export function NavBar() {
  const { t } = useTranslation();
  const page = useAppStore((s) => s.page);
  const setPage = useAppStore((s) => s.setPage);
  return (
    <nav className="nav" aria-label="main">
      {PAGES.map((name) => (
        <button key={name} type="button" data-testid={`nav-${name}`} className={page === name ? 'active' : ''} aria-current={page === name ? 'page' : undefined} onClick={() => setPage(name)}>
          {t(`nav.${name}`)}
        </button>
      ))}
    </nav>
  );
}
