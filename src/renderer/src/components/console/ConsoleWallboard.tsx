import { useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ConsoleSource } from '../../../../shared/console';
import type { AppError } from '../../../../shared/errors';
import type { Wallboard } from '../../../../shared/queue';
import { useApi } from '../../transport/api-context';
import { ConsoleChart } from './ConsoleChart';
import { ConsoleError } from './ConsoleError';
import { tzOffsetMinutes } from './format';
import { WALLBOARD_REFRESH_MS, wallboardAvailable, wallboardView } from './wallboard-view';

/**
 * 坐席看板: the queue's numbers now and today (console.wallboard → GET /api/v1/lead/wallboard), asked again every
 * 10 s while the tab is open — the timer lives in this component, so closing the tab (unmounting) stops it.
 * A failed refresh keeps the last board on screen beneath the error: numbers a few seconds old beat a blank board.
 */
export function ConsoleWallboard({ source }: { source: ConsoleSource }) {
  const { t } = useTranslation();
  if (!wallboardAvailable(source)) {
    return (
      <p className="muted console-wallboard-off" data-testid="wallboard-unavailable">
        {t('console.wallboard.backendOnly')}
      </p>
    );
  }
  return <LiveWallboard />;
}

function LiveWallboard() {
  const { t } = useTranslation();
  const api = useApi();
  const [board, setBoard] = useState<{ data: Wallboard; tz: number } | null>(null);
  const [error, setError] = useState<AppError | null>(null);
  // one request at a time: a slow backend must not pile up a queue of refreshes
  const inFlight = useRef(false);
  const mounted = useRef(true);

  const refresh = useCallback(async () => {
    if (inFlight.current) return;
    inFlight.current = true;
    const tz = tzOffsetMinutes();
    try {
      const r = await api.invoke('console.wallboard', { tzOffsetMinutes: tz });
      if (!mounted.current) return;
      if (r.ok) {
        setBoard({ data: r.value, tz });
        setError(null);
      } else setError(r.error);
    } finally {
      inFlight.current = false;
    }
  }, [api]);

  useEffect(() => {
    mounted.current = true;
    void refresh();
    const timer = setInterval(() => void refresh(), WALLBOARD_REFRESH_MS);
    return () => {
      mounted.current = false;
      clearInterval(timer);
    };
  }, [refresh]);

  const view = board ? wallboardView(board.data, board.tz) : null;
  return (
    <div className="console-wallboard" data-testid="console-wallboard">
      <div className="console-stats-head">
        <span className="muted" data-testid="wallboard-updated">
          {view ? t('console.wallboard.updated', { time: view.updatedAt }) : t('console.table.loading')}
        </span>
        <button type="button" onClick={() => void refresh()} data-testid="wallboard-refresh">
          {t('console.wallboard.refresh')}
        </button>
      </div>
      <ConsoleError error={error} />
      {view && (
        <>
          <div className="console-wallboard-tiles">
            {view.tiles.map((tile) => (
              <section key={tile.id} className="console-tile panel">
                <h3>{t(`console.wallboard.tiles.${tile.id}`)}</h3>
                <strong data-testid={tile.testId}>{tile.value}</strong>
              </section>
            ))}
            <section className="console-tile console-tile-agents panel">
              <h3>{t('console.wallboard.tiles.agents')}</h3>
              <dl>
                {view.agents.map((a) => (
                  <div key={a.state} className={`console-agent-state ${a.state}`}>
                    <dt>{t(`queue.states.${a.state}`)}</dt>
                    <dd data-testid={a.testId}>{a.value}</dd>
                  </div>
                ))}
              </dl>
            </section>
          </div>
          <section className="console-card panel">
            <header>
              <h3>{t('console.wallboard.chart')}</h3>
            </header>
            {/* drawn even on a quiet day (empty hours, the axes still read), so the chart is always where the lead looks */}
            <ConsoleChart
              testId="wallboard-chart"
              categories={view.chart.categories}
              series={[
                { name: t('console.wallboard.series.answered'), type: 'bar', data: view.chart.answered },
                { name: t('console.wallboard.series.abandoned'), type: 'bar', data: view.chart.abandoned },
                { name: t('console.wallboard.series.medianWait'), type: 'line', rightUnit: t('console.wallboard.secondsUnit'), data: view.chart.medianWaitS },
              ]}
            />
            {!view.hasTraffic && (
              <p className="muted" data-testid="wallboard-no-traffic">
                {t('console.wallboard.noTraffic')}
              </p>
            )}
          </section>
        </>
      )}
    </div>
  );
}
