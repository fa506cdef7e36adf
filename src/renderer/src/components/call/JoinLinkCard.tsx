import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { copyJoinLink, joinQrDataUrl, remaining } from '../../call/join-link';
import { useAppStore } from '../../store/store';
import { useNow } from './use-now';

/** The customer's join link (text, copy button, QR code) and how long it stays valid. */
export function JoinLinkCard({ compact }: { compact: boolean }) {
  const { t, i18n } = useTranslation();
  const info = useAppStore((s) => s.call.info);
  const resumed = useAppStore((s) => s.call.resumed);
  const url = info?.joinUrl ?? '';
  const inputRef = useRef<HTMLInputElement>(null);
  const [qr, setQr] = useState<{ url: string; dataUrl: string } | null>(null);
  const [copied, setCopied] = useState<'copied' | 'selected' | null>(null);
  const now = useNow(1000);

  useEffect(() => {
    if (!url) return;
    let cancelled = false;
    joinQrDataUrl(url)
      .then((dataUrl) => !cancelled && setQr({ url, dataUrl }))
      .catch(() => undefined);
    return () => {
      cancelled = true;
    };
  }, [url]);

  if (!info) return null;
  if (!url) return resumed ? <p className="muted">{t('call.join.resumed')}</p> : null;
  const expired = now >= info.joinExpiresAt;
  const time = new Intl.DateTimeFormat(i18n.language, { timeStyle: 'short' }).format(info.joinExpiresAt);

  const body = (
    <div className="join-card">
      <div className="join-text">
        {!compact && <p className="muted">{t('call.join.hint')}</p>}
        <div className="join-row">
          <input ref={inputRef} data-testid="join-link" className="join-link" readOnly value={url} onFocus={(e) => e.currentTarget.select()} aria-label={t('call.join.title')} />
          <button type="button" data-testid="join-copy" onClick={() => void copyJoinLink(url, inputRef.current).then(setCopied)}>
            {copied === 'copied' ? t('call.join.copied') : t('call.join.copy')}
          </button>
        </div>
        {copied === 'selected' && <p className="muted">{t('call.join.copyManual')}</p>}
        <p data-testid="join-expiry" data-expires-at={info.joinExpiresAt} className={expired ? 'camera-error' : 'muted'}>
          {expired ? t('call.join.expired') : t('call.join.expires', { time, remaining: remaining(info.joinExpiresAt, now) })}
        </p>
      </div>
      {qr?.url === url && <img data-testid="join-qr" className="join-qr" src={qr.dataUrl} alt={t('call.join.qrAlt')} width={180} height={180} />}
    </div>
  );
  if (!compact) {
    return (
      <section className="join">
        <h3>{t('call.join.title')}</h3>
        {body}
      </section>
    );
  }
  // once the customer is in, the link is tucked away (still in the page, for a rejoin from another device)
  return (
    <details className="join">
      <summary>{t('call.join.title')}</summary>
      {body}
    </details>
  );
}
