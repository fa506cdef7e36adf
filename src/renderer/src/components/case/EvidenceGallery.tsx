import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { CaseEvidenceItem } from '../../../../shared/review';
import { useApi } from '../../transport/api-context';
import { formatEventTime } from './format-time';

/** Thumbnails shown at most: a long call keeps many frames; the rest are listed by the events. */
const MAX_THUMBS = 60;
const PICTURES = new Set(['frame', 'face_crop', 'id_photo']);

/** base64 → an object URL of the bytes (revoked with the page): the picture never leaves memory. */
function objectUrl(mime: string, base64: string): string {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return URL.createObjectURL(new Blob([bytes], { type: mime }));
}

type Thumb = { state: 'loading' } | { state: 'ok'; url: string } | { state: 'failed' };

/** The case's evidence frames, decrypted one by one by main (cases.evidenceImage) for the screen only. */
export function EvidenceGallery({ caseId, items }: { caseId: string; items: readonly CaseEvidenceItem[] }) {
  const { t } = useTranslation();
  const api = useApi();
  const pictures = useMemo(() => items.filter((i) => PICTURES.has(i.kind)), [items]);
  const [thumbs, setThumbs] = useState<Record<string, Thumb>>({});
  const [shown, setShown] = useState<string | null>(null);

  useEffect(() => {
    let cancelled = false;
    const urls: string[] = [];
    void (async () => {
      // one at a time: each is a decryption in main and a message over the transport
      for (const item of pictures.slice(0, MAX_THUMBS)) {
        if (cancelled) return;
        if (item.purged) continue;
        setThumbs((m) => ({ ...m, [item.evidenceId]: { state: 'loading' } }));
        const result = await api.invoke('cases.evidenceImage', { caseId, evidenceId: item.evidenceId });
        if (cancelled) return;
        if (result.ok) {
          const url = objectUrl(result.value.mime, result.value.data);
          urls.push(url);
          setThumbs((m) => ({ ...m, [item.evidenceId]: { state: 'ok', url } }));
        } else setThumbs((m) => ({ ...m, [item.evidenceId]: { state: 'failed' } }));
      }
    })();
    return () => {
      cancelled = true;
      for (const url of urls) URL.revokeObjectURL(url);
    };
  }, [api, caseId, pictures]);

  const big = shown ? thumbs[shown] : undefined;
  return (
    <section className="panel case-evidence" data-testid="case-evidence">
      <h2>{t('case.evidence.title')}</h2>
      {pictures.length === 0 && <p className="muted">{t('case.evidence.empty')}</p>}
      <ul className="evidence-thumbs">
        {pictures.slice(0, MAX_THUMBS).map((item) => {
          const thumb = thumbs[item.evidenceId];
          return (
            <li key={item.evidenceId} data-testid="evidence-thumb" data-kind={item.kind} data-state={item.purged ? 'purged' : (thumb?.state ?? 'loading')}>
              {thumb?.state === 'ok' ? (
                <button type="button" className="thumb" onClick={() => setShown(item.evidenceId)}>
                  <img src={thumb.url} alt={t(`case.evidenceKinds.${item.kind}`)} />
                </button>
              ) : (
                <div className="thumb placeholder">{item.purged ? t('case.evidence.purged') : thumb?.state === 'failed' ? t('case.evidence.failed') : t('case.evidence.loading')}</div>
              )}
              <span className="thumb-caption">
                {t(`case.evidenceKinds.${item.kind}`)} · {formatEventTime(item.createdAt)}
              </span>
            </li>
          );
        })}
      </ul>
      {big?.state === 'ok' && (
        <div className="evidence-large" role="dialog" data-testid="evidence-large">
          <img src={big.url} alt={t('case.evidence.title')} />
          <button type="button" onClick={() => setShown(null)}>
            {t('case.evidence.close')}
          </button>
        </div>
      )}
    </section>
  );
}
