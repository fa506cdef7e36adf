import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { AppError } from '../../../../shared/errors';
import { comparisonRows, refusalOf, type ComparisonRow, type ReanalysisResult } from '../../../../shared/reanalysis';
import { reasonKey } from '../../desk/format';
import { useApi } from '../../transport/api-context';

type State = { phase: 'idle' } | { phase: 'running' } | { phase: 'done'; result: ReanalysisResult } | { phase: 'error'; error: AppError };

/** A differing row stands out (styles.css belongs to the whole app; this panel's two looks are set here). */
const DIFFERS = { background: '#fff8c5', fontWeight: 600 } as const;

/**
 * 重新分析 on the case page (issue 11 item 2): main re-runs the verification on the case's customer recording with
 * its ID photo and recorded events (cases.reanalyze; seconds), then the call's report (原始) and the new one (重新分析)
 * are shown side by side, the rows that differ highlighted. The rows and what "differs" means come from
 * src/shared/reanalysis.ts, the same as `veridesk review`.
 */
export function ReanalysisPanel({ caseId }: { caseId: string }) {
  const { t } = useTranslation();
  const api = useApi();
  // keyed by case: a result that arrives after the page moved to another case is never shown there
  const [keyed, setKeyed] = useState<State & { caseId: string }>({ phase: 'idle', caseId });
  const state: State = keyed.caseId === caseId ? keyed : { phase: 'idle' };

  const run = async () => {
    const asked = caseId;
    setKeyed({ phase: 'running', caseId: asked });
    const result = await api.invoke('cases.reanalyze', { caseId: asked }).catch((error: unknown) => ({ ok: false as const, error: { code: 'INTERNAL' as const, message: error instanceof Error ? error.message : String(error) } }));
    setKeyed(result.ok ? { phase: 'done', result: result.value, caseId: asked } : { phase: 'error', error: result.error, caseId: asked });
  };

  return (
    <section className="panel reanalysis" data-testid="reanalysis-panel" data-phase={state.phase}>
      <h2>{t('reanalysis.title')}</h2>
      <p className="muted">{t('reanalysis.hint')}</p>
      <button type="button" className="primary" data-testid="reanalysis-run" disabled={state.phase === 'running'} onClick={() => void run()}>
        {state.phase === 'running' ? t('reanalysis.running') : state.phase === 'idle' ? t('reanalysis.run') : t('reanalysis.again')}
      </button>
      {state.phase === 'running' && (
        <p className="muted" role="status" data-testid="reanalysis-progress">
          <progress /> {t('reanalysis.progress')}
        </p>
      )}
      {state.phase === 'error' && <ReanalysisError error={state.error} />}
      {state.phase === 'done' && <ReanalysisComparison result={state.result} />}
    </section>
  );
}

function ReanalysisError({ error }: { error: AppError }) {
  const { t } = useTranslation();
  const refusal = refusalOf(error.message);
  const text = refusal ? t(`reanalysis.errors.${refusal}`) : t(`errors.${error.code}`, { detail: error.message, defaultValue: error.message });
  return (
    <p className="camera-error" role="alert" data-testid="reanalysis-error" data-code={error.code} data-refusal={refusal ?? ''}>
      {text}
      {error.message && !text.includes(error.message) && <span className="muted error-detail"> {error.message}</span>}
    </p>
  );
}

function ReanalysisComparison({ result }: { result: ReanalysisResult }) {
  const { t } = useTranslation();
  const { inputs, original, reanalysis } = result;
  const rows = comparisonRows(original, reanalysis);
  return (
    <div data-testid="reanalysis-result" data-differences={result.differences.length}>
      <p className="muted">{t('reanalysis.inputs', { frames: inputs.video.frames, fps: inputs.video.fps, date: inputs.date })}</p>
      {!original ? (
        <>
          <p data-testid="reanalysis-no-original">{t('reanalysis.noOriginal')}</p>
          <p>
            {t('reanalysis.columns.reanalysis')}：{t(`desk.advice.${reanalysis.advice}`)}
          </p>
        </>
      ) : (
        <>
          <p data-testid="reanalysis-summary">
            {t(`reanalysis.source.${original.source}`)} ·{' '}
            {result.differences.length ? t('reanalysis.differences', { count: result.differences.length }) : t('reanalysis.noDifferences')}
          </p>
          <table data-testid="reanalysis-table">
            <thead>
              <tr>
                <th>{t('reanalysis.columns.item')}</th>
                <th>{t('reanalysis.columns.original')}</th>
                <th>{t('reanalysis.columns.reanalysis')}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.key} data-testid="reanalysis-row" data-key={row.key} data-comparison={row.comparison} style={row.comparison === 'different' ? DIFFERS : undefined}>
                  <td>
                    {row.comparison === 'different' && <span aria-label={t('reanalysis.differs')}>≠ </span>}
                    <RowLabel row={row} />
                  </td>
                  <td className={row.comparison === 'not_recorded' ? 'muted' : undefined}>
                    <RowValue row={row} value={row.original} />
                  </td>
                  <td>
                    <RowValue row={row} value={row.reanalysis} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="muted">{t('reanalysis.scoreNote')}</p>
        </>
      )}
    </div>
  );
}

function RowLabel({ row }: { row: ComparisonRow }) {
  const { t } = useTranslation();
  if (row.group === 'advice') return <>{t('reanalysis.rows.advice')}</>;
  if (row.group === 'model') return <>{t('reanalysis.rows.model', { name: row.name })}</>;
  if (row.group === 'threshold') return <>{t(row.key === 'threshold.match' ? 'reanalysis.rows.thresholdMatch' : 'reanalysis.rows.thresholdMismatch')}</>;
  const name = t(`desk.checks.names.${row.check ?? 'spoken_code'}`);
  return <>{`${name} · ${t(`reanalysis.fields.${row.field ?? 'status'}`)}`}</>;
}

function RowValue({ row, value }: { row: ComparisonRow; value: string | number | null }) {
  const { t } = useTranslation();
  if (value === null) return <>{row.comparison === 'not_recorded' ? t('reanalysis.notRecorded') : '—'}</>;
  if (typeof value === 'number') return <>{row.field === 'score' ? value.toFixed(3) : String(value)}</>;
  if (row.group === 'advice') return <>{t(`desk.advice.${value}`, { defaultValue: value })}</>;
  if (row.group === 'model') return <span title={value}>{value.slice(0, 12)}</span>;
  switch (row.field) {
    case 'status':
      return <>{t(`desk.checks.statuses.${value}`, { defaultValue: value })}</>;
    case 'reason':
      return <>{t(reasonKey(row.check ?? 'spoken_code', value), { defaultValue: value })}</>;
    case 'band':
      return <>{t(`desk.checks.bands.${value}`, { defaultValue: value })}</>;
    default:
      return <>{value}</>;
  }
}
