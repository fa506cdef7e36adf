import { useContext } from 'react';
import { useTranslation } from 'react-i18next';
import type { AgentState } from '../../../../shared/queue';
import { useAppStore } from '../../store/store';
import { ApiContext } from '../../transport/api-context';
import { setAgentState } from './queue-actions';
import { reasonKey, SELECTABLE_STATES, stateLabelKey } from './queue-logic';
import './queue.css';

/**
 * The status bar's seat state: 在线示闲 / 忙碌 / 小休 / 离线, as the backend last confirmed it, with the reason when
 * the backend changed it itself (未接听，已置为小休), the poll's trouble when it has any, and a refused change in Chinese.
 */
export function QueueStateSelect() {
  const { t } = useTranslation();
  // the status bar also renders before (and without) a transport: the selector is then disabled
  const api = useContext(ApiContext);
  const queue = useAppStore((s) => s.queue);
  const busy = useAppStore((s) => s.queueBusy);
  const error = useAppStore((s) => s.queueError);
  const state = queue?.state ?? 'offline';
  const link = queue?.link ?? 'off';
  const trouble = link === 'backoff' || link === 'blocked';
  return (
    <span className={`pill queue-seat queue-${state}`} data-testid="queue-seat" data-state={state} data-link={link}>
      <label>
        {t('queue.seat')}:{' '}
        <select data-testid="queue-state-select" value={state} disabled={busy || queue === null || api === null} onChange={(e) => api && void setAgentState(api, e.target.value as AgentState)}>
          {SELECTABLE_STATES.map((s) => (
            <option key={s} value={s}>
              {t(stateLabelKey(s))}
            </option>
          ))}
        </select>
      </label>
      {queue?.reason && (
        <span data-testid="queue-state-reason" data-reason={queue.reason} className="queue-reason">
          {t(reasonKey(queue.reason), { reason: queue.reason })}
        </span>
      )}
      {state === 'ready' && queue && queue.waiting > 0 && (
        <span data-testid="queue-waiting" className="muted">
          {t('queue.waiting', { count: queue.waiting })}
        </span>
      )}
      {trouble && (
        <span data-testid="queue-link" data-link={link} className="queue-trouble" title={queue?.lastError ? `${queue.lastError.code}: ${queue.lastError.message}` : undefined}>
          {t(`queue.link.${link}`)}
        </span>
      )}
      {error && (
        <span role="alert" data-testid="queue-error" data-code={error.code} className="queue-error">
          {t(`errors.${error.code}`, { detail: error.message })}
        </span>
      )}
    </span>
  );
}
