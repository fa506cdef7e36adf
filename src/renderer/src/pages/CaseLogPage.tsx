import { useTranslation } from 'react-i18next';

export function CaseLogPage() {
  const { t } = useTranslation();
  return (
    <section className="page" data-testid="page-cases">
      <h1>{t('cases.title')}</h1>
      <p className="muted">{t('cases.empty')}</p>
    </section>
  );
}
