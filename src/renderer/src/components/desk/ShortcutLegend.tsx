import { Fragment } from 'react';
import { useTranslation } from 'react-i18next';
import { SHORTCUTS } from '../../desk/shortcuts';

/** The shortcut keys, folded away behind a small “?” so they do not take room once learnt. */
export function ShortcutLegend() {
  const { t } = useTranslation();
  return (
    <details className="shortcut-legend" data-testid="shortcuts">
      <summary>
        {t('desk.shortcuts.title')} <span className="kbd-hint">?</span>
      </summary>
      <div className="shortcut-popover">
        <dl>
        {SHORTCUTS.map((s) => (
          <Fragment key={s.action}>
            <dt data-action={s.action}>
              <kbd>Alt</kbd>+<kbd>{s.label}</kbd>
            </dt>
            <dd>{t(`desk.shortcuts.actions.${s.action}`)}</dd>
          </Fragment>
        ))}
        </dl>
        <p className="muted">{t('desk.shortcuts.typing')}</p>
      </div>
    </details>
  );
}
