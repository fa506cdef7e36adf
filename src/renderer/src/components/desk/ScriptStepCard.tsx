import { useTranslation } from 'react-i18next';
import type { Step } from '../../../../shared/scripts';
import { CHECK_IDS, type VerificationReport } from '../../../../shared/verification';
import { pushGuidance } from '../../call/call-service';
import { goToScriptStep } from '../../desk/desk-service';
import { lineLanguage, localText } from '../../desk/local-text';
import { fillPlaceholders } from '../../desk/script-nav';
import { useAppStore } from '../../store/store';

interface ScriptStepCardProps {
  step: Step;
  report: VerificationReport;
  suggested: string | null;
  returnTo: string | null;
}

const REPORTED = new Set<string>([...CHECK_IDS, 'spoken_code']);

/** The current step in full: the agent's lines, the hint, the customer prompt, the branches, the checks it collects. */
export function ScriptStepCard({ step, report, suggested, returnTo }: ScriptStepCardProps) {
  const { t, i18n } = useTranslation();
  const agentId = useAppStore((s) => s.settings?.agentId);
  const connected = useAppStore((s) => s.call.phase === 'connected');
  const values = { ...(agentId ? { agentId } : {}) };
  // the hotline is not a setting yet: a visible marker rather than a wrong number read out
  const missing = (name: string) => (name === 'hotline' ? t('desk.script.hotline') : `{${name}}`);
  const checks = step.requiredChecks.filter((c) => REPORTED.has(c));
  const statusOf = (id: string) => (id === 'spoken_code' ? report.spokenCode.status : (report.checks.find((c) => c.id === id)?.status ?? 'pending'));

  return (
    <article className="script-step-card" data-testid="script-current" data-step={step.id} data-kind={step.kind}>
      <h3>{localText(step.title, i18n.language)}</h3>
      <ol className="script-lines">
        {step.lines[lineLanguage(i18n.language)].map((line, i) => (
          <li key={i}>{fillPlaceholders(line, values, missing)}</li>
        ))}
      </ol>
      {step.hint && (
        <p className="script-hint">
          <strong>{t('desk.script.hint')}</strong> {localText(step.hint, i18n.language)}
        </p>
      )}
      {checks.length > 0 && (
        <p className="script-checks">
          <span className="muted">{t('desk.script.checks')}</span>
          {checks.map((c) => (
            <span key={c} className={`pill status-${statusOf(c)}`} data-check={c}>
              {t(`desk.checks.names.${c}`)}
            </span>
          ))}
        </p>
      )}
      <div className="script-actions">
        {step.customerPrompt && (
          <button type="button" className="suggested" data-testid="script-customer-prompt" data-key={step.customerPrompt} disabled={!connected} onClick={() => pushGuidance(step.customerPrompt!)}>
            {t('desk.script.customerPrompt', { prompt: t(`call.guidance.keys.${step.customerPrompt}`) })}
          </button>
        )}
        {step.branches.map((b) => (
          <button key={`${b.to}:${b.when ?? ''}`} type="button" className={b.to === suggested ? 'branch suggested' : 'branch'} data-testid={`script-branch-${b.to}`} onClick={() => goToScriptStep(b.to)}>
            {localText(b.label, i18n.language)}
          </button>
        ))}
        {step.kind === 'prompt' && returnTo && (
          <button type="button" data-testid="script-back" onClick={() => goToScriptStep(returnTo, 'back')}>
            {t('desk.script.back')}
          </button>
        )}
      </div>
      {step.closeReason && <p className="muted">{t('desk.script.closes')}</p>}
    </article>
  );
}
