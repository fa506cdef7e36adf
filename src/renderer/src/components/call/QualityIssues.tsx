import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { QualityIssue } from '../../../../shared/engine';
import { latestAnalysis } from '../../call/live-analysis';

/** Results older than this no longer describe the customer's picture: no prompt rather than a wrong one. */
const PROMPT_FRESH_MS = 1_000;
const REFRESH_MS = 250;

interface Prompt {
  issues: QualityIssue[];
  faceCount: number | null;
}

/** The engine's quality issues for the customer's face, as short prompts the agent can read out. */
export function QualityIssues() {
  const { t } = useTranslation();
  const [prompt, setPrompt] = useState<Prompt>({ issues: [], faceCount: null });

  useEffect(() => {
    // polled, not per result: results arrive at the frame rate, a prompt changes a few times a minute
    let shownKey = '';
    const timer = setInterval(() => {
      const received = latestAnalysis();
      const fresh = received && Date.now() - received.receivedAt <= PROMPT_FRESH_MS ? received.analysis : null;
      const next: Prompt = fresh ? { issues: fresh.primary?.quality?.issues ?? [], faceCount: fresh.faceCount } : { issues: [], faceCount: null };
      const key = `${next.faceCount}|${next.issues.join(',')}`;
      if (key !== shownKey) {
        shownKey = key;
        setPrompt(next);
      }
    }, REFRESH_MS);
    return () => clearInterval(timer);
  }, []);

  const texts = [
    ...(prompt.faceCount === 0 ? [t('call.quality.noFace')] : []),
    ...(prompt.faceCount !== null && prompt.faceCount > 1 ? [t('call.quality.multipleFaces', { count: prompt.faceCount })] : []),
    ...prompt.issues.map((issue) => t(`call.quality.${issue}`)),
  ];
  return (
    <div className="quality-issues" data-testid="quality-issues" data-issues={prompt.issues.join(',')} role="status">
      {texts.map((text) => (
        <span key={text} className="issue">
          {text}
        </span>
      ))}
    </div>
  );
}
