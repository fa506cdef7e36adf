import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { latestAnalysis } from '../../call/live-analysis';
import { cropRect, scaleBox } from '../../desk/face-crop';
import { useAppStore } from '../../store/store';
import { CROP_HEIGHT, CROP_WIDTH } from './IdFaceCrop';

/** A few times a second: enough to compare faces, and the video's own rendering is not competed with. */
const REFRESH_MS = 250;
/** An older analysis result no longer says where the face is. */
const FRESH_MS = 1_000;

type LiveState = 'waiting' | 'live' | 'none';

/**
 * The customer's face, cut out of the remote video around the latest analysis' primary box. It reads its own
 * (detached, muted) video element on the same stream, so it does not depend on the stage's element.
 */
export function LiveFace() {
  const { t } = useTranslation();
  const stream = useAppStore((s) => s.call.remoteStream);
  const ref = useRef<HTMLCanvasElement>(null);
  const [state, setState] = useState<LiveState>('waiting');

  useEffect(() => {
    const canvas = ref.current;
    const ctx = canvas?.getContext('2d');
    if (!stream || !canvas || !ctx) {
      setState('waiting');
      return;
    }
    const video = document.createElement('video');
    video.muted = true;
    video.playsInline = true;
    video.srcObject = stream;
    void video.play().catch(() => undefined);
    let shown: LiveState = 'waiting';
    const tick = () => {
      const received = latestAnalysis();
      const analysis = received && Date.now() - received.receivedAt <= FRESH_MS ? received.analysis : null;
      let next: LiveState = video.videoWidth > 0 ? 'none' : 'waiting';
      if (analysis?.primary && video.videoWidth > 0) {
        const box = scaleBox(analysis.primary.box, analysis.width, analysis.height, video.videoWidth, video.videoHeight);
        const crop = cropRect(box, video.videoWidth, video.videoHeight);
        if (crop) {
          ctx.drawImage(video, crop.x, crop.y, crop.width, crop.height, 0, 0, canvas.width, canvas.height);
          next = 'live';
        }
      }
      if (next !== shown) {
        shown = next;
        setState(next);
      }
    };
    const timer = setInterval(tick, REFRESH_MS);
    return () => {
      clearInterval(timer);
      video.pause();
      video.srcObject = null;
    };
  }, [stream]);

  return (
    <div className="live-face-wrap">
      <canvas ref={ref} className={`face-crop live-face state-${state}`} width={CROP_WIDTH} height={CROP_HEIGHT} data-testid="live-face" data-state={state} />
      {state !== 'live' && <span className="face-crop-note">{state === 'waiting' ? t('desk.idPhoto.liveWaiting') : t('desk.idPhoto.liveNone')}</span>}
    </div>
  );
}
