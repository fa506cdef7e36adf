import { useTranslation } from 'react-i18next';
import type { AppError } from '../../../../shared/errors';

/** A failed console request, in the UI's language, with main's own words beneath. */
export function ConsoleError({ error }: { error: AppError | null }) {
  const { t } = useTranslation();
  if (!error) return null;
  return (
    <p className="console-error" role="alert" data-testid="console-error" data-code={error.code}>
      {t(`errors.${error.code}`, { detail: error.message })}
      <span className="muted"> {error.message}</span>
    </p>
  );
}
