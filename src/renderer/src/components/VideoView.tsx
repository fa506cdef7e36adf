import { useEffect, useRef } from 'react';

interface VideoViewProps {
  stream: MediaStream | null;
  testId: string;
  label: string;
  mirrored?: boolean;
}

export function VideoView({ stream, testId, label, mirrored = false }: VideoViewProps) {
  const ref = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    const video = ref.current;
    if (!video) return;
    video.srcObject = stream;
    if (stream) void video.play().catch(() => undefined);
  }, [stream]);
  return <video ref={ref} data-testid={testId} aria-label={label} className={mirrored ? 'video mirrored' : 'video'} muted playsInline autoPlay />;
}
