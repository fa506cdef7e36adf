import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { CONSOLE_SOURCES, type ConsoleAccess, type ConsoleCaseDetail, type ConsoleFilter, type ConsoleSource } from '../../../shared/console';
import type { AppError } from '../../../shared/errors';
import { ConsoleCasePanel } from '../components/console/ConsoleCasePanel';
import { ConsoleError } from '../components/console/ConsoleError';
import { ConsoleFilters } from '../components/console/ConsoleFilters';
import { ConsoleForbidden } from '../components/console/ConsoleForbidden';
import { ConsoleImport } from '../components/console/ConsoleImport';
import { ConsoleReport } from '../components/console/ConsoleReport';
import { ConsoleSampleView } from '../components/console/ConsoleSampleView';
import { ConsoleStatsView } from '../components/console/ConsoleStatsView';
import { ConsoleTable } from '../components/console/ConsoleTable';
import { ConsoleWallboard } from '../components/console/ConsoleWallboard';
import { saveTextFile } from '../components/console/download';
import { useCasePages } from '../components/console/use-case-pages';
import '../components/console/console.css';
import { useApi } from '../transport/api-context';

const TABS = ['cases', 'stats', 'sample', 'import', 'wallboard'] as const;
type Tab = (typeof TABS)[number];

/**
 * 质检: the team lead's console — cases with filters, statistics, a reproducible sample with the review form, bundle
 * imports and exports. Main opens it only for a lead token (console.access, asked again whenever the token or
 * the backend changes); anyone else sees the 403 page.
 */
export function ConsolePage() {
  const { t } = useTranslation();
  const api = useApi();
  const [access, setAccess] = useState<ConsoleAccess | null>(null);
  const [check, setCheck] = useState(0);

  useEffect(() => {
    let cancelled = false;
    void api.invoke('console.access', {}).then((r) => {
      if (cancelled) return;
      setAccess(r.ok ? r.value : { allowed: false, origin: '', role: null, name: null, reason: 'refused', detail: r.error.message });
    });
    return () => {
      cancelled = true;
    };
  }, [api, check]);
  useEffect(() => api.on('settings.backendToken', () => setCheck((n) => n + 1)), [api]);

  if (!access) return <p className="muted page">{t('console.checking')}</p>;
  if (!access.allowed) return <ConsoleForbidden access={access} onRetry={() => setCheck((n) => n + 1)} />;
  return <ConsoleWorkspace leadName={access.name ?? ''} />;
}

function ConsoleWorkspace({ leadName }: { leadName: string }) {
  const { t } = useTranslation();
  const api = useApi();
  const [tab, setTab] = useState<Tab>('cases');
  const [source, setSource] = useState<ConsoleSource>('local');
  const [filter, setFilter] = useState<ConsoleFilter>({});
  const [reload, setReload] = useState(0);
  const [openId, setOpenId] = useState<string | null>(null);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [report, setReport] = useState<ConsoleCaseDetail | null>(null);
  const [error, setError] = useState<AppError | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const pages = useCasePages(source, filter, reload);

  const applyFilter = useCallback((f: ConsoleFilter) => {
    setFilter(f);
    setSelected(new Set());
  }, []);
  const changeSource = (s: ConsoleSource) => {
    setSource(s);
    setSelected(new Set());
    setOpenId(null);
  };
  const toggle = (id: string) =>
    setSelected((prev) => {
      const next = new Set(prev);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const toggleAll = () => setSelected((prev) => (prev.size >= pages.rows.length ? new Set() : new Set(pages.rows.map((r) => r.caseId))));
  const exportAs = async (format: 'bundle' | 'csv') => {
    setNotice(null);
    if (selected.size === 0) return setNotice(t('console.export.none'));
    const r = await api.invoke('console.export', { source, format, caseIds: [...selected].slice(0, 2000) });
    if (!r.ok) return setError(r.error);
    setError(null);
    saveTextFile(r.value);
    setNotice(t('console.export.done', { filename: r.value.filename }));
  };

  if (report) return <ConsoleReport detail={report} onBack={() => setReport(null)} />;
  return (
    <section className="page console" data-testid="page-console">
      <header className="console-top">
        <h1>{t('console.title')}</h1>
        <span className="console-whoami" data-testid="console-whoami">
          {t('console.whoami', { name: leadName })}
        </span>
        <label className="console-source">
          {t('console.source.label')}
          <select value={source} onChange={(e) => changeSource(e.target.value as ConsoleSource)} data-testid="console-source">
            {CONSOLE_SOURCES.map((s) => (
              <option key={s} value={s}>
                {t(`console.source.${s}`)}
              </option>
            ))}
          </select>
        </label>
        <nav className="console-tabs" aria-label={t('console.title')}>
          {TABS.map((name) => (
            <button key={name} type="button" className={tab === name ? 'active' : ''} aria-current={tab === name ? 'page' : undefined} onClick={() => setTab(name)} data-testid={`console-tab-${name}`}>
              {t(`console.tabs.${name}`)}
            </button>
          ))}
        </nav>
      </header>
      {/* hidden rather than unmounted on the import and wallboard tabs (neither is filtered), so the form keeps what the filter says */}
      <div hidden={tab === 'import' || tab === 'wallboard'}>
        <ConsoleFilters onApply={applyFilter} />
      </div>
      <ConsoleError error={error ?? pages.error} />
      {tab === 'cases' && (
        <>
          <div className="console-toolbar">
            {/* a bundle is signed by the workstation holding the chain: the backend's copy cannot be exported as one */}
            <button
              type="button"
              onClick={() => void exportAs('bundle')}
              disabled={source === 'backend'}
              title={source === 'backend' ? t('console.export.bundleBackend') : undefined}
              data-testid="console-export-bundle"
            >
              {t('console.export.bundle')}
            </button>
            <button type="button" onClick={() => void exportAs('csv')} data-testid="console-export-csv">
              {t('console.export.csv')}
            </button>
            {notice && <span className="muted">{notice}</span>}
          </div>
          <div className={`console-body${openId ? ' with-case' : ''}`}>
            <ConsoleTable pages={pages} selected={selected} onToggle={toggle} onToggleAll={toggleAll} onOpen={(row) => setOpenId(row.caseId)} active={openId} />
            {openId && <ConsoleCasePanel source={source} caseId={openId} leadName={leadName} onClose={() => setOpenId(null)} onReport={setReport} />}
          </div>
        </>
      )}
      {tab === 'stats' && <ConsoleStatsView source={source} filter={filter} />}
      {tab === 'sample' && (
        <div className={`console-body${openId ? ' with-case' : ''}`}>
          <ConsoleSampleView source={source} filter={filter} onOpen={setOpenId} />
          {openId && <ConsoleCasePanel source={source} caseId={openId} leadName={leadName} onClose={() => setOpenId(null)} onReport={setReport} />}
        </div>
      )}
      {/* mounted only while its tab is open: leaving the tab stops its 10 s refresh */}
      {tab === 'wallboard' && <ConsoleWallboard source={source} />}
      {tab === 'import' && (
        <ConsoleImport
          onImported={() => {
            changeSource('bundle');
            setReload((n) => n + 1);
          }}
        />
      )}
    </section>
  );
}
