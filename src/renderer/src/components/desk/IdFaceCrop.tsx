import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import type { DeskState } from '../../../../shared/desk';
import { cropRect, scaleBox } from '../../desk/face-crop';

export const CROP_WIDTH = 240;
export const CROP_HEIGHT = 320;

/** The ID photo's face, cut out with the same framing as the live crop beside it. */
export function IdFaceCrop({ url, photo }: { url: string | null; photo: DeskState['idPhoto'] }) {
  const { t } = useTranslation();
  const ref = useRef<HTMLCanvasElement>(null);
  const face = photo?.face ?? null;

  useEffect(() => {
    const canvas = ref.current;
    if (!canvas || !url || !photo || !face) return;
    let cancelled = false;
    const image = new Image();
    image.onload = () => {
      const ctx = canvas.getContext('2d');
      if (cancelled || !ctx) return;
      // main's box is in the photo's pixels as it decoded them; the browser's decode may differ in size
      const box = scaleBox(face, photo.width, photo.height, image.naturalWidth, image.naturalHeight);
      const crop = cropRect(box, image.naturalWidth, image.naturalHeight);
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      if (crop) ctx.drawImage(image, crop.x, crop.y, crop.width, crop.height, 0, 0, canvas.width, canvas.height);
    };
    image.src = url;
    return () => {
      cancelled = true;
    };
  }, [url, photo, face]);

  // a photo set before a page reload has its analysis here but not its picture (the drop zone says so)
  if (!photo || !url) return <div className="face-crop empty">{photo ? '—' : t('workspace.idPhotoPending')}</div>;
  if (!face) return <div className="face-crop empty camera-error">{t('desk.idPhoto.noFace')}</div>;
  return <canvas ref={ref} className="face-crop" width={CROP_WIDTH} height={CROP_HEIGHT} data-testid="id-photo-face" />;
}
