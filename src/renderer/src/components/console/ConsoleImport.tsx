import { useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { MAX_IMPORT_BASE64, type ConsoleImportResult, type PinnedSigner } from '../../../../shared/console';
import type { AppError } from '../../../../shared/errors';
import { bytesToBase64 } from '../../call/base64';
import { useApi } from '../../transport/api-context';
import { ConsoleError } from './ConsoleError';

/** Imports a signed bundle: main verifies signature, chains and the pinned signer, and says why it refuses. */
export function ConsoleImport({ onImported }: { onImported(): void }) {
  const { t } = useTranslation();
  const api = useApi();
  const [file, setFile] = useState<File | null>(null);
  const [path, setPath] = useState('');
  const [fingerprint, setFingerprint] = useState('');
  const [remember, setRemember] = useState(true);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<ConsoleImportResult | null>(null);
  const [error, setError] = useState<AppError | null>(null);
  const [pinned, setPinned] = useState<PinnedSigner[]>([]);

  useEffect(() => {
    let cancelled = false;
    void api.invoke('console.signers', {}).then((r) => {
      if (!cancelled && r.ok) setPinned(r.value);
    });
    return () => {
      cancelled = true;
    };
  }, [api, result]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setResult(null);
    let bytes: string | undefined;
    if (file) {
      bytes = bytesToBase64(new Uint8Array(await file.arrayBuffer()));
      if (bytes.length > MAX_IMPORT_BASE64) return setError({ code: 'PAYLOAD_TOO_LARGE', message: t('console.import.tooLarge') });
    } else if (!path.trim()) return setError({ code: 'INVALID_INPUT', message: t('console.import.needFile') });
    setBusy(true);
    const fp = fingerprint.trim();
    const r = await api.invoke('console.importBundle', { ...(bytes ? { bytes } : { path: path.trim() }), ...(fp ? { fingerprint: fp } : {}), remember: remember && fp !== '' });
    setBusy(false);
    if (!r.ok) return setError(r.error);
    setResult(r.value);
    if (r.value.ok) onImported();
  };

  const unpin = async (fp: string) => {
    const r = await api.invoke('console.pinSigner', { fingerprint: fp, pinned: false });
    if (r.ok) setPinned(r.value);
  };

  return (
    <div className="console-import" data-testid="console-import">
      <form className="panel console-import-form" onSubmit={(e) => void submit(e)}>
        <h2>{t('console.import.title')}</h2>
        <p className="muted small">{t('console.import.hint')}</p>
        <label>
          {t('console.import.file')}
          <input type="file" accept=".json,application/json" onChange={(e) => setFile(e.target.files?.[0] ?? null)} data-testid="console-import-file" />
        </label>
        <label>
          {t('console.import.path')}
          <input value={path} disabled={file !== null} onChange={(e) => setPath(e.target.value)} data-testid="console-import-path" />
        </label>
        <label>
          {t('console.import.fingerprint')}
          <input value={fingerprint} onChange={(e) => setFingerprint(e.target.value)} placeholder="ab12:cd34:…" className="mono" data-testid="console-import-fingerprint" />
          <span className="muted small">{t('console.import.fingerprintHint')}</span>
        </label>
        <label className="toggle">
          <input type="checkbox" checked={remember} onChange={(e) => setRemember(e.target.checked)} />
          {t('console.import.remember')}
        </label>
        <button type="submit" className="primary" disabled={busy} data-testid="console-import-submit">
          {busy ? t('console.import.importing') : t('console.import.submit')}
        </button>
      </form>
      <ConsoleError error={error} />
      {result?.ok === true && (
        <div className="panel console-import-ok" data-testid="console-import-ok">
          <p>{t('console.import.ok', { imported: result.imported, updated: result.updated, unchanged: result.unchanged, fingerprint: result.fingerprint, workstation: result.workstationId })}</p>
          {result.conflicts.length > 0 && <p className="warn">{t('console.import.conflicts', { count: result.conflicts.length, ids: result.conflicts.slice(0, 10).join(', ') })}</p>}
        </div>
      )}
      {result?.ok === false && (
        <div className="panel console-import-refused" role="alert" data-testid="console-import-refused" data-reason={result.reason}>
          <p className="bad">{t('console.import.refused', { reason: t(`console.import.reasons.${result.reason}`) })}</p>
          {result.fingerprint && <p className="mono small">{t('console.import.signer', { fingerprint: result.fingerprint })}</p>}
          <p className="muted small">{t('console.import.detail', { detail: result.detail })}</p>
        </div>
      )}
      <section className="panel">
        <h3>{t('console.import.pinned')}</h3>
        {pinned.length === 0 ? (
          <p className="muted">{t('console.import.noPinned')}</p>
        ) : (
          <ul className="console-refs">
            {pinned.map((p) => (
              <li key={p.fingerprint}>
                <span className="mono">{p.fingerprint}</span> {p.label}
                <button type="button" onClick={() => void unpin(p.fingerprint)}>
                  {t('console.import.unpin')}
                </button>
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
