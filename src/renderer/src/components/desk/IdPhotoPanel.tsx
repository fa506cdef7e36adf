import { useRef, useState, type DragEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { DeskState } from '../../../../shared/desk';
import type { AppError } from '../../../../shared/errors';
import { bytesToBase64 } from '../../call/base64';
import { deskAction } from '../../desk/desk-service';
import { ID_PHOTO_ACCEPT, readIdPhoto, type IdPhotoProblem } from '../../desk/id-photo';
import { useAppStore } from '../../store/store';
import { useApi } from '../../transport/api-context';
import { DeskError } from './DeskError';
import { IdFaceCrop } from './IdFaceCrop';
import { IdPhotoImage } from './IdPhotoImage';
import { LiveFace } from './LiveFace';

/**
 * ID photo ⇄ live face, side by side and large: the ID photo's face crop next to a live crop of the customer's
 * face, and below them the photo itself (drop target and file button). Without a call it keeps the idle look.
 */
export function IdPhotoPanel({ desk }: { desk: DeskState | null }) {
  const { t } = useTranslation();
  if (!desk) {
    return (
      <div className="panel id-photo">
        <h2>{t('workspace.idPhoto')}</h2>
        <div className="placeholder id-photo-idle">
          <span>{t('workspace.idPhotoPending')}</span>
          <span className="muted">{t('desk.unavailable')}</span>
        </div>
      </div>
    );
  }
  return <IdPhotoSession desk={desk} />;
}

function IdPhotoSession({ desk }: { desk: DeskState }) {
  const { t } = useTranslation();
  const api = useApi();
  const view = useAppStore((s) => s.idPhotoView);
  const url = view?.callId === desk.callId ? view.url : null;
  const inputRef = useRef<HTMLInputElement>(null);
  const [problem, setProblem] = useState<IdPhotoProblem | 'read_failed' | null>(null);
  const [error, setError] = useState<AppError | null>(null);
  const [uploading, setUploading] = useState(false);
  const [dragOver, setDragOver] = useState(false);
  const enabled = !desk.closed && !uploading;
  const photo = desk.idPhoto;

  const take = async (file: File) => {
    setProblem(null);
    setError(null);
    let read: Awaited<ReturnType<typeof readIdPhoto>>;
    try {
      read = await readIdPhoto(file);
    } catch {
      setProblem('read_failed');
      return;
    }
    if (!read.ok) {
      setProblem(read.problem);
      return;
    }
    setUploading(true);
    const result = await deskAction(api, 'desk.setIdPhoto', { callId: desk.callId, data: bytesToBase64(read.bytes), source: 'file' });
    setUploading(false);
    if (!result.ok) {
      setError(result.error);
      return;
    }
    // the picture stays in the renderer (main keeps its analysis): shown from the exact bytes that were sent
    useAppStore.getState().setIdPhotoView({ callId: desk.callId, url: URL.createObjectURL(new Blob([read.bytes as BlobPart], { type: `image/${read.kind}` })) });
  };

  // the ID card the customer holds up: main finds the portrait in the customer's current frame
  const capture = async () => {
    setProblem(null);
    setError(null);
    setUploading(true);
    const result = await deskAction(api, 'desk.captureIdFromCamera', { callId: desk.callId });
    if (result.ok) {
      const image = await api.invoke('desk.idPhotoImage', { callId: desk.callId });
      if (image.ok) useAppStore.getState().setIdPhotoView({ callId: desk.callId, url: `data:${image.value.mime};base64,${image.value.data}` });
    } else setError(result.error);
    setUploading(false);
  };

  // the photo a self-service channel stored for this customer reference (app, IVR, chatbot hand-over)
  const [customerRef, setCustomerRef] = useState('');
  const fetchReference = async () => {
    setProblem(null);
    setError(null);
    setUploading(true);
    const result = await deskAction(api, 'desk.fetchReferencePhoto', { callId: desk.callId, customerRef: customerRef.trim() });
    if (result.ok) {
      const image = await api.invoke('desk.idPhotoImage', { callId: desk.callId });
      if (image.ok) useAppStore.getState().setIdPhotoView({ callId: desk.callId, url: `data:${image.value.mime};base64,${image.value.data}` });
    } else setError(result.error);
    setUploading(false);
  };

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragOver(false);
    const file = e.dataTransfer.files[0];
    if (file && enabled) void take(file);
  };

  return (
    <div className="panel id-photo" data-testid="id-photo-panel" data-photo={photo ? 'set' : 'none'}>
      <h2>{t('desk.idPhoto.title')}</h2>
      <div className="face-compare">
        <figure>
          <IdFaceCrop url={url} photo={photo} />
          <figcaption>{t('desk.idPhoto.idFace')}</figcaption>
        </figure>
        <figure>
          <LiveFace />
          <figcaption>{t('desk.idPhoto.liveFace')}</figcaption>
        </figure>
      </div>
      <div
        className={`id-photo-drop${dragOver ? ' drag-over' : ''}`}
        data-testid="id-photo-drop"
        onDragOver={(e) => {
          e.preventDefault();
          if (enabled) setDragOver(true);
        }}
        onDragLeave={() => setDragOver(false)}
        onDrop={onDrop}
      >
        {url ? <IdPhotoImage url={url} photo={photo} /> : <p>{photo ? t('desk.idPhoto.notShown') : t('desk.idPhoto.drop')}</p>}
        <div className="id-photo-actions">
          <button type="button" disabled={!enabled} onClick={() => inputRef.current?.click()}>
            {photo ? t('desk.idPhoto.replace') : t('desk.idPhoto.choose')}
          </button>
          <button type="button" data-testid="id-photo-capture" disabled={!enabled} onClick={() => void capture()}>
            {t('desk.idPhoto.capture')}
          </button>
          <span className="muted">{t('desk.idPhoto.formats')}</span>
        </div>
        <input
          ref={inputRef}
          type="file"
          className="visually-hidden"
          accept={ID_PHOTO_ACCEPT}
          data-testid="id-photo-input"
          disabled={!enabled}
          onChange={(e) => {
            const file = e.target.files?.[0];
            e.target.value = ''; // the same file chosen again must fire change again
            if (file) void take(file);
          }}
        />
      </div>
      <form
        className="id-photo-reference"
        onSubmit={(e) => {
          e.preventDefault();
          if (enabled && /^[A-Za-z0-9._:-]{1,64}$/.test(customerRef.trim())) void fetchReference();
        }}
      >
        <input
          data-testid="id-photo-ref"
          value={customerRef}
          maxLength={64}
          placeholder={t('desk.idPhoto.referencePlaceholder')}
          onChange={(e) => setCustomerRef(e.target.value)}
          disabled={!enabled}
        />
        <button type="submit" data-testid="id-photo-fetch" disabled={!enabled || !/^[A-Za-z0-9._:-]{1,64}$/.test(customerRef.trim())}>
          {t('desk.idPhoto.fetchReference')}
        </button>
      </form>
      {uploading && <p className="muted" role="status">{t('desk.idPhoto.uploading')}</p>}
      {problem && (
        <p className="camera-error" role="alert" data-testid="id-photo-error" data-problem={problem}>
          {t(`desk.idPhoto.problems.${problem}`)}
        </p>
      )}
      {error && <DeskError error={error} testId="id-photo-error" />}
      {photo && !photo.face && (
        <p className="camera-error" data-testid="id-photo-noface">
          {t('desk.idPhoto.noFace')}
        </p>
      )}
      {photo && photo.faces > 1 && <p className="muted">{t('desk.idPhoto.manyFaces', { count: photo.faces })}</p>}
      {photo?.age !== undefined && <p className="muted">{t('desk.idPhoto.age', { age: Math.round(photo.age) })}</p>}
      {photo && photo.source !== 'file' && (
        <p className="muted" data-testid="id-photo-source" data-source={photo.source}>
          {t(photo.source === 'camera' ? 'desk.idPhoto.fromCamera' : 'desk.idPhoto.fromBackend')}
        </p>
      )}
      {photo && photo.warnings.length > 0 && (
        <ul className="id-photo-warnings" data-testid="id-photo-warnings">
          {photo.warnings.map((w) => (
            <li key={w} data-warning={w}>
              {t(`desk.idPhoto.warnings.${w}`, { defaultValue: w })}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
