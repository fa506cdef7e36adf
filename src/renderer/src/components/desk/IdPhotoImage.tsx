import { useTranslation } from 'react-i18next';
import type { DeskState } from '../../../../shared/desk';

const pct = (v: number, of: number) => `${of > 0 ? (v / of) * 100 : 0}%`;

/** The whole ID photo with the face main found outlined (percentages of the photo, so it follows any display size). */
export function IdPhotoImage({ url, photo }: { url: string; photo: DeskState['idPhoto'] }) {
  const { t } = useTranslation();
  const face = photo?.face ?? null;
  return (
    <div className="id-photo-frame">
      <img src={url} alt={t('workspace.idPhoto')} data-testid="id-photo-image" />
      {photo && face && (
        <div
          className="id-face-box"
          data-testid="id-photo-box"
          style={{ left: pct(face.x, photo.width), top: pct(face.y, photo.height), width: pct(face.width, photo.width), height: pct(face.height, photo.height) }}
        />
      )}
    </div>
  );
}
