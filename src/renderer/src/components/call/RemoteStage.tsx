import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useAgentStream } from '../../camera/use-agent-stream';
import { startOverlay } from '../../call/overlay-loop';
import { useAppStore } from '../../store/store';
import { VideoView } from '../VideoView';

/** The customer's video and sound, large, with the analysis overlay; the agent's own preview small in a corner. */
export function RemoteStage() {
  const { t } = useTranslation();
  const stream = useAppStore((s) => s.call.remoteStream);
  const landmarks = useAppStore((s) => s.landmarks);
  const agentStream = useAgentStream();
  const videoRef = useRef<HTMLVideoElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const landmarksRef = useRef(landmarks);
  const [soundBlocked, setSoundBlocked] = useState(false);

  useEffect(() => {
    landmarksRef.current = landmarks;
  }, [landmarks]);

  useEffect(() => {
    const video = videoRef.current;
    if (!video) return;
    video.srcObject = stream;
    if (!stream) return;
    video.muted = false;
    // autoplay with sound needs a user gesture (开始视频 was one); if refused, play muted and offer a click
    video.play().catch(() => {
      video.muted = true;
      setSoundBlocked(true);
      void video.play().catch(() => undefined);
    });
  }, [stream]);

  useEffect(() => {
    const video = videoRef.current;
    const canvas = canvasRef.current;
    if (!video || !canvas) return;
    return startOverlay(video, canvas, () => landmarksRef.current);
  }, []);

  const unmute = () => {
    const video = videoRef.current;
    if (!video) return;
    video.muted = false;
    void video.play().then(() => setSoundBlocked(false), () => undefined);
  };

  return (
    <div className="remote-stage">
      <video ref={videoRef} data-testid="remote-video" className="remote-video" aria-label={t('workspace.customerVideo')} playsInline autoPlay />
      <canvas ref={canvasRef} data-testid="face-overlay" className="face-overlay" aria-hidden="true" />
      {!stream && <div className="remote-waiting">{t('call.waitingRemote')}</div>}
      {soundBlocked && (
        <button type="button" className="sound-blocked" data-testid="call-unmute" onClick={unmute}>
          {t('call.sound.blocked')}
        </button>
      )}
      <div className="local-inset">
        <VideoView stream={agentStream} testId="local-video" label={t('workspace.agentCamera')} mirrored />
      </div>
    </div>
  );
}
