import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { CHECK_IDS, type CheckId, type VerificationReport } from '../../../../shared/verification';
import { CheckRow } from './CheckRow';

/** The seven checks in the report's fixed order; the service type's required ones are marked. */
export function ChecksPanel({ report }: { report: VerificationReport }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState<CheckId | null>(null);
  const required = new Set<string>(report.required);
  return (
    <section className="desk-checks" aria-label={t('desk.checks.title')}>
      <h3>{t('desk.checks.title')}</h3>
      <ul className="check-list">
        {CHECK_IDS.map((id) => {
          const check = report.checks.find((c) => c.id === id);
          if (!check) return null;
          return <CheckRow key={id} check={check} required={required.has(id)} open={open === id} onToggle={() => setOpen((current) => (current === id ? null : id))} />;
        })}
      </ul>
    </section>
  );
}
