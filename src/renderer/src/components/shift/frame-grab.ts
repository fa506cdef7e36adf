/**
 * A few stills of the agent's OWN camera for a shift face check: from the stream the workstation already has open
 * (during a call, or with the camera on), else the camera is opened briefly with the same device choice and
 * released right after. JPEG, at most 640 px wide and MAX_CHECK_FRAME_BYTES each, so they cross the transport.
 */
import { MAX_CHECK_FRAME_BYTES } from '../../../../shared/shift';
import { bytesToBase64 } from '../../call/base64';
import { currentAgentStream } from '../../camera/agent-camera';

const MAX_WIDTH = 640;

function liveStream(): MediaStream | null {
  const stream = currentAgentStream();
  return stream && stream.getVideoTracks().some((t) => t.readyState === 'live') ? stream : null;
}

async function firstPicture(video: HTMLVideoElement): Promise<void> {
  await video.play();
  for (let i = 0; i < 50 && video.videoWidth === 0; i++) await new Promise((r) => setTimeout(r, 100));
  if (video.videoWidth === 0) throw new Error('the camera gives no picture');
}

function jpeg(canvas: HTMLCanvasElement, quality: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) =>
    canvas.toBlob((blob) => (blob ? void blob.arrayBuffer().then((b) => resolve(new Uint8Array(b)), reject) : reject(new Error('the frame could not be encoded'))), 'image/jpeg', quality),
  );
}

export async function grabAgentFrames(cameraDeviceId: string | null, count = 3, gapMs = 350): Promise<string[]> {
  const existing = liveStream();
  const opened = existing ? null : await navigator.mediaDevices.getUserMedia({ audio: false, video: cameraDeviceId ? { deviceId: { exact: cameraDeviceId } } : true });
  const video = document.createElement('video');
  video.muted = true;
  video.playsInline = true;
  video.srcObject = existing ?? opened;
  try {
    await firstPicture(video);
    const scale = Math.min(1, MAX_WIDTH / video.videoWidth);
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(video.videoWidth * scale);
    canvas.height = Math.round(video.videoHeight * scale);
    const context = canvas.getContext('2d');
    if (!context) throw new Error('no 2D canvas');
    const frames: string[] = [];
    for (let i = 0; i < count; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, gapMs));
      context.drawImage(video, 0, 0, canvas.width, canvas.height);
      let bytes = await jpeg(canvas, 0.85);
      if (bytes.length > MAX_CHECK_FRAME_BYTES) bytes = await jpeg(canvas, 0.6);
      if (bytes.length <= MAX_CHECK_FRAME_BYTES) frames.push(bytesToBase64(bytes));
    }
    return frames;
  } finally {
    video.srcObject = null;
    // only a camera opened for the check is released; the call's or the workspace's stays as it was
    opened?.getTracks().forEach((t) => t.stop());
  }
}
