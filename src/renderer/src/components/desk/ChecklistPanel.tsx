import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { DeskState } from '../../../../shared/desk';
import type { AppError } from '../../../../shared/errors';
import type { ChecklistItem } from '../../../../shared/scripts';
import { deskAction } from '../../desk/desk-service';
import { localText } from '../../desk/local-text';
import { useApi } from '../../transport/api-context';
import { DeskError } from './DeskError';

/** The closing checklist (operate/transact): main keeps the ticks and refuses to close while required items are missing. */
export function ChecklistPanel({ desk, items }: { desk: DeskState; items: ChecklistItem[] }) {
  const { t, i18n } = useTranslation();
  const api = useApi();
  const [inFlight, setInFlight] = useState<{ item: string; ticked: boolean } | null>(null);
  const [error, setError] = useState<AppError | null>(null);
  const ticked = new Set(desk.checklist.ticked);
  const missing = new Set(desk.checklist.missing);

  const toggle = async (item: string, next: boolean) => {
    setInFlight({ item, ticked: next });
    setError(null);
    const result = await deskAction(api, 'desk.checklist', { callId: desk.callId, item, ticked: next });
    setInFlight(null);
    if (!result.ok) setError(result.error);
  };

  return (
    <section className="checklist" data-testid="checklist" data-missing={desk.checklist.missing.join(',')}>
      <h3>
        {t('desk.script.checklist')}
        <span className={missing.size > 0 ? 'muted' : 'ok'}>
          {' '}
          · {missing.size > 0 ? t('desk.script.checklistMissing', { count: missing.size }) : t('desk.script.checklistDone')}
        </span>
      </h3>
      <ul>
        {items.map((item) => (
          <li key={item.id} className={missing.has(item.id) ? 'missing' : undefined}>
            <label>
              <input
                type="checkbox"
                data-testid={`checklist-${item.id}`}
                // shows the agent's click at once; main's answer (or refusal) then decides
                checked={inFlight?.item === item.id ? inFlight.ticked : ticked.has(item.id)}
                disabled={desk.closed || inFlight !== null}
                onChange={(e) => void toggle(item.id, e.target.checked)}
              />
              {localText(item.label, i18n.language)}
            </label>
          </li>
        ))}
      </ul>
      {error && <DeskError error={error} testId="checklist-error" />}
    </section>
  );
}
