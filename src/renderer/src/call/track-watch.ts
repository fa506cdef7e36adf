/**
 * Media faults during a call, from track events:
 * - the customer's video: `mute` (no frames arriving) or `ended` → lost, `unmute` → back;
 * - the agent's camera: `ended` (the device went away: unplugged, driver reset; track.stop() does
 *   not fire it) → lost, a new camera stream (restarted or another device) → replaced.
 */
import { currentAgentStream, onAgentStream } from '../camera/agent-camera';

export function watchVideoTracks(stream: MediaStream, handlers: { lost(): void; back(): void }): () => void {
  const cleanups: Array<() => void> = [];
  const lost = () => handlers.lost();
  const back = () => handlers.back();
  const watch = (track: MediaStreamTrack) => {
    if (track.kind !== 'video') return;
    track.addEventListener('mute', lost);
    track.addEventListener('ended', lost);
    track.addEventListener('unmute', back);
    cleanups.push(() => {
      track.removeEventListener('mute', lost);
      track.removeEventListener('ended', lost);
      track.removeEventListener('unmute', back);
    });
  };
  stream.getVideoTracks().forEach(watch);
  // simple-peer announces the stream on its first track; the other may follow
  const onAdd = (event: MediaStreamTrackEvent) => watch(event.track);
  stream.addEventListener('addtrack', onAdd);
  return () => {
    stream.removeEventListener('addtrack', onAdd);
    cleanups.forEach((cleanup) => cleanup());
  };
}

export function watchAgentCamera(handlers: { lost(): void; replaced(stream: MediaStream, track: MediaStreamTrack): void }): () => void {
  // Listeners stay on every track seen until the call ends: agent-camera.ts reacts to the same
  // 'ended' by stopping the camera and publishing null, and a listener removed during that dispatch
  // would never run.
  const watched = new WeakSet<MediaStreamTrack>();
  const cleanups: Array<() => void> = [];
  const lost = () => handlers.lost();
  const watch = (track: MediaStreamTrack | undefined) => {
    if (!track || watched.has(track)) return;
    watched.add(track);
    track.addEventListener('ended', lost);
    cleanups.push(() => track.removeEventListener('ended', lost));
  };
  watch(currentAgentStream()?.getVideoTracks()[0]);
  const unsubscribe = onAgentStream((stream) => {
    const track = stream?.getVideoTracks()[0];
    watch(track);
    if (stream && track) handlers.replaced(stream, track);
  });
  return () => {
    unsubscribe();
    cleanups.forEach((cleanup) => cleanup());
  };
}
