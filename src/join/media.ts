/**
 * The customer's camera and microphone: opening them, naming what went wrong in a way the page can
 * explain, and the device report the workstation screens for virtual cameras (DESIGN.md §6).
 */
import { DeviceReportSchema, type CustomerMediaState, type DeviceReport } from '../shared/signaling';

/**
 * Why the camera is not usable: the DOMException names getUserMedia rejects with, plus
 * `TrackEnded` (lost mid-call), `NotSupportedError` (no mediaDevices: old WebView or plain http)
 * and `UnknownError`. The page shows these as `data-code`.
 */
export const CAMERA_ERROR_CODES = [
  'NotAllowedError',
  'SecurityError',
  'NotFoundError',
  'OverconstrainedError',
  'NotReadableError',
  'TrackEnded',
  'NotSupportedError',
  'UnknownError',
] as const;
export type CameraErrorCode = (typeof CAMERA_ERROR_CODES)[number];

export class CameraError extends Error {
  constructor(readonly code: CameraErrorCode, detail?: string) {
    super(detail ?? code);
    this.name = 'CameraError';
  }
}

export function classifyMediaError(error: unknown): CameraErrorCode {
  const name = typeof error === 'object' && error !== null && 'name' in error ? String((error as { name: unknown }).name) : '';
  switch (name) {
    case 'NotAllowedError':
    case 'PermissionDeniedError': // pre-standard Chrome and some Android WebViews
      return 'NotAllowedError';
    case 'SecurityError':
      return 'SecurityError';
    case 'NotFoundError':
    case 'DevicesNotFoundError':
      return 'NotFoundError';
    case 'OverconstrainedError':
    case 'ConstraintNotSatisfiedError':
      return 'OverconstrainedError';
    case 'NotReadableError':
    case 'TrackStartError': // old Chrome's name for "device in use"
    case 'AbortError': // Firefox/Safari when the device could not be started
      return 'NotReadableError';
    case 'NotSupportedError':
    case 'TypeError': // no constraints the browser understands, or an insecure context
      return 'NotSupportedError';
    default:
      return 'UnknownError';
  }
}

/** What the workstation is told for each camera problem (the enum in CustomerMediaStateSchema). */
export function mediaStateFor(code: CameraErrorCode): CustomerMediaState['state'] {
  switch (code) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'denied';
    case 'TrackEnded':
      return 'lost';
    default:
      // not found, busy, unsupported: in every case there is no camera the page can use
      return 'missing';
  }
}

export const CAMERA_CONSTRAINTS: MediaStreamConstraints = {
  video: { facingMode: 'user', width: { ideal: 1280 }, height: { ideal: 720 } },
  audio: true,
};

/** Opens camera and microphone; rejects with a CameraError. */
export async function openCamera(mediaDevices: MediaDevices | undefined = globalThis.navigator?.mediaDevices): Promise<MediaStream> {
  // mediaDevices is undefined on plain http (not localhost) and in WebViews without WebRTC.
  if (!mediaDevices || typeof mediaDevices.getUserMedia !== 'function') throw new CameraError('NotSupportedError', 'navigator.mediaDevices.getUserMedia is missing');
  try {
    return await mediaDevices.getUserMedia(CAMERA_CONSTRAINTS);
  } catch (error) {
    const code = classifyMediaError(error);
    if (code !== 'OverconstrainedError') throw new CameraError(code, describe(error));
  }
  // The constraints are only `ideal` and should never over-constrain, but some Android WebViews
  // reject facingMode anyway: a camera of any shape beats no call.
  try {
    return await mediaDevices.getUserMedia({ video: true, audio: true });
  } catch (error) {
    throw new CameraError(classifyMediaError(error), describe(error));
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}`.slice(0, 200) : String(error).slice(0, 200);
}

export function stopStream(stream: MediaStream | null | undefined): void {
  stream?.getTracks().forEach((track) => track.stop());
}

/**
 * Calls `onLost` once when a track of the stream ends by itself (device unplugged, taken by
 * another app, OS interruption). `track.stop()` does not fire 'ended', so stopping it ourselves
 * does not count. Returns a function that stops watching.
 */
export function watchStream(stream: MediaStream, onLost: () => void): () => void {
  let fired = false;
  const listener = () => {
    if (fired) return;
    fired = true;
    onLost();
  };
  const tracks = stream.getTracks();
  tracks.forEach((track) => track.addEventListener('ended', listener));
  return () => tracks.forEach((track) => track.removeEventListener('ended', listener));
}

/** Settings keys never sent: per-origin device identifiers are fingerprints the workstation has no use for. */
const OMITTED_SETTINGS = new Set(['deviceId', 'groupId']);
const MAX_SETTINGS = 32;

type Setting = number | string | boolean;

/** MediaTrackSettings reduced to what DeviceReportSchema accepts: finite numbers, short strings, booleans, ≤ 32 keys. */
export function sanitizeSettings(settings: object): Record<string, Setting> {
  const out: Record<string, Setting> = {};
  let count = 0;
  for (const [key, value] of Object.entries(settings)) {
    if (count >= MAX_SETTINGS) break;
    if (OMITTED_SETTINGS.has(key) || key.length > 64) continue;
    if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean' || (typeof value === 'string' && value.length <= 128)) {
      out[key] = value;
      count += 1;
    }
  }
  return out;
}

interface TrackLike {
  readonly label: string;
  getSettings?: () => object;
}

/** The device report sent after every welcome; always valid against DeviceReportSchema. */
export function deviceReport(video: TrackLike | undefined, audio: TrackLike | undefined, userAgent: string): DeviceReport {
  const report: DeviceReport = {
    kind: 'device',
    videoLabel: (video?.label ?? '').slice(0, 256),
    audioLabel: (audio?.label ?? '').slice(0, 256),
    // getSettings is missing in a few old WebViews; an empty record is still a valid report
    settings: video && typeof video.getSettings === 'function' ? sanitizeSettings(video.getSettings()) : {},
    userAgent: userAgent.slice(0, 512),
  };
  return DeviceReportSchema.parse(report);
}

export function streamReport(stream: MediaStream, userAgent: string): DeviceReport {
  return deviceReport(stream.getVideoTracks()[0], stream.getAudioTracks()[0], userAgent);
}
