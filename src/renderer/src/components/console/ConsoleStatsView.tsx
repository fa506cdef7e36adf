import { useEffect, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { FAILED_CHECK_KINDS, type ConsoleFilter, type ConsoleSource, type ConsoleStats, type StatsTable } from '../../../../shared/console';
import type { AppError } from '../../../../shared/errors';
import { useApi } from '../../transport/api-context';
import { ConsoleChart } from './ConsoleChart';
import { ConsoleError } from './ConsoleError';
import { saveTextFile } from './download';
import { percent, seconds, tzOffsetMinutes } from './format';

/** Statistics over the filtered cases: six charts, each with the CSV of the numbers it draws. */
export function ConsoleStatsView({ source, filter }: { source: ConsoleSource; filter: ConsoleFilter }) {
  const { t } = useTranslation();
  const api = useApi();
  const [stats, setStats] = useState<ConsoleStats | null>(null);
  const [error, setError] = useState<AppError | null>(null);
  const [reload, setReload] = useState(0);

  useEffect(() => {
    let cancelled = false;
    void api.invoke('console.stats', { source, filter, tzOffsetMinutes: tzOffsetMinutes() }).then((r) => {
      if (cancelled) return;
      if (r.ok) {
        setStats(r.value);
        setError(null);
      } else setError(r.error);
    });
    return () => {
      cancelled = true;
    };
  }, [api, source, filter, reload]);

  const csv = async (table: StatsTable) => {
    const r = await api.invoke('console.statsCsv', { source, filter, tzOffsetMinutes: tzOffsetMinutes(), table });
    if (r.ok) saveTextFile(r.value);
    else setError(r.error);
  };
  const card = (id: string, table: StatsTable, chart: ReactNode) => (
    <section className="console-card panel" key={id}>
      <header>
        <h3>{t(`console.stats.charts.${id}`)}</h3>
        <button type="button" onClick={() => void csv(table)} data-testid={`console-csv-${id}`}>
          {t('console.stats.csv')}
        </button>
      </header>
      {chart}
    </section>
  );

  if (error) return <ConsoleError error={error} />;
  if (!stats) return <p className="muted">{t('console.table.loading')}</p>;
  const s = (key: string) => t(`console.stats.series.${key}`);
  const days = stats.byDay.map((d) => d.key.slice(5));
  const agents = stats.byAgent.map((a) => a.key);
  const reasons = Object.entries(stats.total.overrides).sort((a, b) => b[1] - a[1]);
  const { total } = stats;
  return (
    <div className="console-stats" data-testid="console-stats">
      <div className="console-stats-head">
        <p data-testid="console-stats-totals">
          {t('console.stats.totals', {
            cases: total.cases,
            passRate: percent(total.passRate),
            disagreementRate: percent(total.disagreementRate),
            escalations: total.escalations,
            reverificationRate: percent(total.reverificationRate),
            handle: seconds(total.avgHandleMs),
          })}
        </p>
        <button type="button" onClick={() => setReload((n) => n + 1)}>
          {t('console.stats.refresh')}
        </button>
      </div>
      {total.cases === 0 ? (
        <p className="muted">{t('console.stats.empty')}</p>
      ) : (
        <div className="console-cards">
          {card(
            'daily',
            'day',
            <ConsoleChart
              testId="console-chart-daily"
              categories={days}
              series={[
                { name: s('cases'), type: 'bar', data: stats.byDay.map((d) => d.cases) },
                { name: s('passRate'), type: 'line', percent: true, data: stats.byDay.map((d) => d.passRate) },
              ]}
            />,
          )}
          {card(
            'escalations',
            'day',
            <ConsoleChart
              testId="console-chart-escalations"
              categories={days}
              series={[
                { name: s('escalations'), type: 'line', data: stats.byDay.map((d) => d.escalations) },
                { name: s('reverified'), type: 'line', data: stats.byDay.map((d) => d.reverified) },
              ]}
            />,
          )}
          {card(
            'agents',
            'agent',
            <ConsoleChart
              testId="console-chart-agents"
              categories={agents}
              series={[
                { name: s('disagreementRate'), type: 'bar', percent: true, data: stats.byAgent.map((a) => a.disagreementRate) },
                { name: s('reverificationRate'), type: 'bar', percent: true, data: stats.byAgent.map((a) => a.reverificationRate) },
              ]}
            />,
          )}
          {card('handle', 'agent', <ConsoleChart testId="console-chart-handle" categories={agents} series={[{ name: s('handle'), type: 'bar', data: stats.byAgent.map((a) => (a.avgHandleMs === null ? null : Math.round(a.avgHandleMs / 1000))) }]} />)}
          {card(
            'overrides',
            'overrides',
            <ConsoleChart
              testId="console-chart-overrides"
              horizontal
              categories={reasons.map(([r]) => (r ? t(`desk.overrideReasons.${r}`, { defaultValue: r }) : t('console.stats.noReason')))}
              series={[{ name: s('overrides'), type: 'bar', data: reasons.map(([, n]) => n) }]}
            />,
          )}
          {card(
            'failed',
            'failed_checks',
            <ConsoleChart testId="console-chart-failed" horizontal categories={FAILED_CHECK_KINDS.map((k) => t(`console.failed.${k}`))} series={[{ name: s('failed'), type: 'bar', data: FAILED_CHECK_KINDS.map((k) => total.failedChecks[k]) }]} />,
          )}
        </div>
      )}
    </div>
  );
}
