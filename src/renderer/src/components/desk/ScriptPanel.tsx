import { useTranslation } from 'react-i18next';
import type { DeskState } from '../../../../shared/desk';
import { formatScriptError } from '../../../../shared/scripts';
import { goToScriptStep, moveScriptStep } from '../../desk/desk-service';
import { localText } from '../../desk/local-text';
import { currentStep, mainSteps, promptSteps, scriptFor } from '../../desk/script-nav';
import { useAppStore } from '../../store/store';
import { ChecklistPanel } from './ChecklistPanel';
import { ScriptStepCard } from './ScriptStepCard';
import { ScriptStepItem } from './ScriptStepItem';

/** The 话术 script of the case's service type: its steps in order, the current one in full, the closing checklist. */
export function ScriptPanel({ desk }: { desk: DeskState }) {
  const { t, i18n } = useTranslation();
  const scripts = useAppStore((s) => s.scripts);
  const position = useAppStore((s) => s.scriptPosition);
  const script = scriptFor(scripts?.scripts, desk.serviceType);
  const current = script ? currentStep(script, position) : undefined;
  const errors = scripts?.errors ?? [];

  return (
    <section className="panel script-panel" data-testid="script-panel" data-service={desk.serviceType} data-version={script?.version ?? ''} data-current={current?.id ?? ''}>
      <header className="script-header">
        <h2>
          {t('desk.script.title')}
          {script && <span className="muted"> · {localText(script.title, i18n.language)}</span>}
        </h2>
        {script && (
          <div className="script-nav">
            <button type="button" data-testid="script-previous" onClick={() => moveScriptStep(-1)} title="Alt+←">
              ← {t('desk.script.previous')}
            </button>
            <button type="button" data-testid="script-next" onClick={() => moveScriptStep(1)} title="Alt+→">
              {t('desk.script.next')} →
            </button>
          </div>
        )}
      </header>
      {errors.length > 0 && (
        <details className="script-errors" data-testid="script-errors" open>
          <summary>
            {t('desk.script.errors')} ({errors.length})
          </summary>
          <ul>
            {errors.map((e, i) => (
              <li key={i} data-file={e.file} data-code={e.code}>
                <code>{formatScriptError(e)}</code>
              </li>
            ))}
          </ul>
        </details>
      )}
      {!script ? (
        <p className="muted">{t('desk.script.missing', { service: t(`cases.service.${desk.serviceType}`) })}</p>
      ) : (
        <div className="script-body">
          <nav className="script-steps" aria-label={t('desk.script.title')}>
            <ol>
              {mainSteps(script).map((step) => (
                <ScriptStepItem key={step.id} step={step} current={step.id === current?.id} suggested={step.id === desk.suggestedStep} onSelect={goToScriptStep} />
              ))}
            </ol>
            <h3>{t('desk.script.prompts')}</h3>
            <ul className="script-prompts">
              {promptSteps(script).map((step) => (
                <ScriptStepItem key={step.id} step={step} current={step.id === current?.id} suggested={step.id === desk.suggestedStep} onSelect={goToScriptStep} />
              ))}
            </ul>
          </nav>
          {current && <ScriptStepCard step={current} report={desk.report} suggested={desk.suggestedStep} returnTo={position.returnTo} />}
          {script.checklist.length > 0 && <ChecklistPanel desk={desk} items={script.checklist} />}
        </div>
      )}
    </section>
  );
}
