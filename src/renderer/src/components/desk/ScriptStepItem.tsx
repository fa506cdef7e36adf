import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import type { Step } from '../../../../shared/scripts';
import { localText } from '../../desk/local-text';

interface ScriptStepItemProps {
  step: Step;
  current: boolean;
  suggested: boolean;
  onSelect(id: string): void;
}

/**
 * Scrolls the step list (only it: scrollIntoView would move the whole workspace under the agent) so the step shows.
 * The list is the step's offsetParent (position: relative).
 */
function revealInList(item: HTMLElement): void {
  const list = item.closest<HTMLElement>('.script-steps');
  if (!list) return;
  const top = item.offsetTop;
  const bottom = top + item.offsetHeight;
  if (top >= list.scrollTop && bottom <= list.scrollTop + list.clientHeight) return;
  list.scrollTo({ top: Math.max(0, top - list.clientHeight / 3), behavior: 'smooth' });
}

/** A step's title in the step list; the current one is scrolled to when it changes (a suggestion moved it). */
export function ScriptStepItem({ step, current, suggested, onSelect }: ScriptStepItemProps) {
  const { t, i18n } = useTranslation();
  const ref = useRef<HTMLLIElement>(null);
  useEffect(() => {
    if (current && ref.current) revealInList(ref.current);
  }, [current]);
  return (
    <li
      ref={ref}
      className={`script-step${current ? ' current' : ''}${suggested ? ' suggested' : ''} kind-${step.kind}`}
      data-testid={`script-step-${step.id}`}
      data-suggested={suggested ? 'true' : 'false'}
      data-current={current ? 'true' : 'false'}
      data-kind={step.kind}
    >
      <button type="button" aria-current={current ? 'step' : undefined} onClick={() => onSelect(step.id)}>
        {localText(step.title, i18n.language)}
        {suggested && <span className="suggested-badge">{t('desk.script.suggested')}</span>}
      </button>
    </li>
  );
}
