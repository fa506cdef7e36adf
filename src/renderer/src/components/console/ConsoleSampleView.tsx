import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { isoWeek, type ConsoleFilter, type ConsoleSample, type ConsoleSource } from '../../../../shared/console';
import type { AppError } from '../../../../shared/errors';
import { useApi } from '../../transport/api-context';
import { ConsoleError } from './ConsoleError';
import { tzOffsetMinutes } from './format';

/** A reproducible QA sample over the filtered cases; each drawn case opens in the review panel. */
export function ConsoleSampleView({ source, filter, onOpen }: { source: ConsoleSource; filter: ConsoleFilter; onOpen(caseId: string): void }) {
  const { t, i18n } = useTranslation();
  const api = useApi();
  // the current week by default: a lead drawing "this week's" sample twice gets the same cases
  const [seed, setSeed] = useState(() => isoWeek(Date.now(), tzOffsetMinutes()));
  const [rate, setRate] = useState('5');
  const [overrides, setOverrides] = useState(true);
  const [escalations, setEscalations] = useState(true);
  const [sample, setSample] = useState<ConsoleSample | null>(null);
  const [error, setError] = useState<AppError | null>(null);

  const draw = async (e: FormEvent) => {
    e.preventDefault();
    const r = await api.invoke('console.sample', {
      source,
      filter,
      seed,
      rate: Math.min(100, Math.max(0.1, Number(rate) || 5)) / 100,
      includeOverrides: overrides,
      includeEscalations: escalations,
      tzOffsetMinutes: tzOffsetMinutes(),
    });
    if (r.ok) {
      setSample(r.value);
      setError(null);
    } else setError(r.error);
  };
  const time = new Intl.DateTimeFormat(i18n.language, { dateStyle: 'short', timeStyle: 'short' });
  return (
    <div className="console-sample" data-testid="console-sample">
      <form className="panel console-sample-form" onSubmit={(e) => void draw(e)}>
        <label>
          {t('console.sample.seed')}
          <input value={seed} maxLength={64} onChange={(e) => setSeed(e.target.value)} data-testid="console-sample-seed" />
        </label>
        <label>
          {t('console.sample.rate')}
          <input type="number" min="0.1" max="100" step="0.1" value={rate} onChange={(e) => setRate(e.target.value)} data-testid="console-sample-rate" />
        </label>
        <label className="toggle">
          <input type="checkbox" checked={overrides} onChange={(e) => setOverrides(e.target.checked)} />
          {t('console.sample.overrides')}
        </label>
        <label className="toggle">
          <input type="checkbox" checked={escalations} onChange={(e) => setEscalations(e.target.checked)} />
          {t('console.sample.escalations')}
        </label>
        <button type="submit" className="primary" disabled={!seed.trim()} data-testid="console-sample-draw">
          {t('console.sample.draw')}
        </button>
        <p className="muted small">{t('console.sample.hint')}</p>
      </form>
      <ConsoleError error={error} />
      {sample && (
        <div className="panel">
          <p data-testid="console-sample-result">{t('console.sample.result', { population: sample.population, count: sample.picks.length, strata: sample.strata.length })}</p>
          <table>
            <thead>
              <tr>
                <th>{t('console.columns.case')}</th>
                <th>{t('console.columns.agent')}</th>
                <th>{t('console.sample.week')}</th>
                <th>{t('console.columns.opened')}</th>
                <th>{t('console.sample.why')}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {sample.picks.map((p) => (
                <tr key={p.caseId} data-testid="console-sample-pick">
                  <td className="mono">{p.caseId.slice(0, 13)}</td>
                  <td>{p.agentId}</td>
                  <td>{p.week}</td>
                  <td>{time.format(p.openedAt)}</td>
                  <td>{p.reasons.map((r) => t(`console.sample.reasons.${r}`)).join('、')}</td>
                  <td>
                    <button type="button" onClick={() => onOpen(p.caseId)}>
                      {t('console.sample.open')}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
