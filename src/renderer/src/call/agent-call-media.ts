/**
 * The agent's side of a call: the camera the workspace already shows (video only, so the preview
 * and its frame tap stay as they are) plus a microphone opened for the call and closed with it.
 */
import { currentAgentStream } from '../camera/agent-camera';

export interface AgentCallMedia {
  readonly microphone: MediaStreamTrack | null;
  /** The camera's live video track and the microphone, as one new stream (for a peer or a recorder). */
  compose(): MediaStream;
  release(): void;
}

const KNOWN_MIC_ERRORS = new Set(['NotAllowedError', 'NotFoundError', 'NotReadableError', 'OverconstrainedError']);

/** Opens the microphone; without one the call still runs (the customer cannot hear the agent). */
export async function openAgentCallMedia(): Promise<{ media: AgentCallMedia; micError: string | null }> {
  let microphone: MediaStreamTrack | null = null;
  let micError: string | null = null;
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true }, video: false });
    microphone = stream.getAudioTracks()[0] ?? null;
    if (!microphone) micError = 'NotFoundError';
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    micError = KNOWN_MIC_ERRORS.has(name) ? name : 'unknown';
  }
  const media: AgentCallMedia = {
    microphone,
    compose() {
      const video = currentAgentStream()?.getVideoTracks().filter((t) => t.readyState === 'live') ?? [];
      const audio = microphone && microphone.readyState === 'live' ? [microphone] : [];
      return new MediaStream([...video, ...audio]);
    },
    release() {
      microphone?.stop();
    },
  };
  return { media, micError };
}
