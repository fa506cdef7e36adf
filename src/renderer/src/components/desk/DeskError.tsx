import { useTranslation } from 'react-i18next';
import type { AppError } from '../../../../shared/errors';

/** A refusal from main: the code's sentence in the UI language, and main's own message (it says what exactly). */
export function DeskError({ error, testId }: { error: AppError; testId: string }) {
  const { t } = useTranslation();
  const text = t(`errors.${error.code}`, { detail: error.message, defaultValue: error.message });
  return (
    <p className="camera-error desk-error" role="alert" data-testid={testId} data-code={error.code}>
      {text}
      {error.message && !text.includes(error.message) && <span className="muted error-detail"> {error.message}</span>}
    </p>
  );
}
