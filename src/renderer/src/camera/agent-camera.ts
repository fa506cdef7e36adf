import type { VeriDeskApi } from '../../../shared/contract';
import { useAppStore } from '../store/store';
import { startFrameTap } from './frame-tap';

/** While a call runs, the agent's own camera is analysed at most once a second: the engine is the customer's. */
export const AGENT_TAP_INTERVAL_IN_CALL_MS = 1_000;
const callRunning = () => {
  const phase = useAppStore.getState().call.phase;
  return phase !== 'idle' && phase !== 'ended';
};

const KNOWN_ERRORS = new Set(['NotAllowedError', 'NotFoundError', 'NotReadableError', 'OverconstrainedError']);

let current: { stream: MediaStream; stopTap: () => void } | null = null;
const streamListeners = new Set<(stream: MediaStream | null) => void>();

export function currentAgentStream(): MediaStream | null {
  return current?.stream ?? null;
}

export function onAgentStream(listener: (stream: MediaStream | null) => void): () => void {
  streamListeners.add(listener);
  return () => streamListeners.delete(listener);
}

function publish(stream: MediaStream | null) {
  streamListeners.forEach((listener) => listener(stream));
}

export async function listCameras(): Promise<MediaDeviceInfo[]> {
  const devices = await navigator.mediaDevices.enumerateDevices();
  const cameras = devices.filter((device) => device.kind === 'videoinput');
  useAppStore.getState().setCamera({ devices: cameras });
  return cameras;
}

/** Opens the agent camera (the configured device, or the default one) and starts the frame tap. */
export async function startAgentCamera(api: VeriDeskApi): Promise<void> {
  const { settings, setCamera } = useAppStore.getState();
  stopAgentCamera();
  setCamera({ state: 'starting', errorKey: null, errorDetail: '' });
  try {
    const deviceId = settings?.cameraDeviceId;
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: false,
      video: deviceId ? { deviceId: { exact: deviceId } } : { width: { ideal: 1280 }, height: { ideal: 720 } },
    });
    const [track] = stream.getVideoTracks();
    track?.addEventListener('ended', () => {
      stopAgentCamera();
      setCamera({ state: 'error', errorKey: 'ended', errorDetail: '' });
    });
    const stopTap = startFrameTap(stream, {
      streamId: 'agent',
      maxWidth: () => useAppStore.getState().settings?.analysisWidth ?? 640,
      minIntervalMs: () => (callRunning() ? AGENT_TAP_INTERVAL_IN_CALL_MS : 0),
      send: (frame) => api.sendFrame(frame),
    });
    current = { stream, stopTap };
    setCamera({ state: 'live' });
    publish(stream);
    await listCameras();
  } catch (error) {
    const name = error instanceof DOMException || error instanceof Error ? error.name : '';
    setCamera({
      state: 'error',
      errorKey: KNOWN_ERRORS.has(name) ? name : 'unknown',
      errorDetail: error instanceof Error ? error.message : String(error),
    });
  }
}

export function stopAgentCamera(): void {
  if (!current) return;
  current.stopTap();
  current.stream.getTracks().forEach((track) => track.stop());
  current = null;
  useAppStore.getState().setCamera({ state: 'idle' });
  publish(null);
}
