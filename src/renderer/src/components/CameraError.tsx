import { useTranslation } from 'react-i18next';
import { useAppStore } from '../store/store';

export function CameraError() {
  const { t } = useTranslation();
  const { state, errorKey, errorDetail } = useAppStore((s) => s.camera);
  if (state !== 'error' || !errorKey) return null;
  return (
    <p className="camera-error" role="alert" data-testid="camera-error">
      {t(`camera.errors.${errorKey}`, { detail: errorDetail })}
    </p>
  );
}
