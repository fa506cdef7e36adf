/**
 * One timeline driving two <video> elements (issue 11 item 1): play, pause and seek act on both, and while they
 * play the second follows the first within ~100 ms. Each track sits on the timeline at its own offset (its
 * MediaRecorder's startedAt − the session's start).
 *
 * Why a master video and not a clock: a video that waits for data stops its own clock, and a wall clock would run
 * ahead of it and force seek after seek. So the timeline reads the first track that is playing its part; the other
 * is nudged with playbackRate (±10 %) for small drift, which plays smoothly, and re-seeked only past 250 ms. Where
 * no track covers the position (before the agent track starts, after the customer's ends) the wall clock carries it.
 * Pure: works against the few HTMLMediaElement members it uses, so it is tested without a browser.
 */

export interface MediaLike {
  currentTime: number;
  readonly duration: number;
  readonly paused: boolean;
  readonly seeking: boolean;
  readonly readyState: number;
  playbackRate: number;
  play(): Promise<void> | void;
  pause(): void;
}

export interface SyncTrack {
  media: MediaLike;
  /** Seconds from the timeline's 0 to this track's 0. */
  offset: number;
  /** Its length in seconds when the element does not know it yet (main's durationMs). */
  fallbackLength: number;
}

/** Drift below this is left alone (the decoders' own jitter). */
export const SOFT_DRIFT_S = 0.03;
/** Drift above this is fixed with a seek. */
export const HARD_DRIFT_S = 0.25;
const MAX_RATE_DELTA = 0.1;
/** HTMLMediaElement.HAVE_CURRENT_DATA */
const HAVE_CURRENT_DATA = 2;

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

export function trackLength(track: SyncTrack): number {
  const d = track.media.duration;
  return Number.isFinite(d) && d > 0 ? d : track.fallbackLength;
}

export class ReplaySync {
  private t = 0;
  private playing = false;
  private clockAt = 0;

  constructor(
    private readonly tracks: readonly SyncTrack[],
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Seconds the timeline spans. */
  get length(): number {
    return Math.max(0, ...this.tracks.map((tr) => tr.offset + trackLength(tr)));
  }

  get position(): number {
    return this.t;
  }

  get isPlaying(): boolean {
    return this.playing;
  }

  play(): void {
    if (this.t >= this.length) this.seek(0);
    this.playing = true;
    this.clockAt = this.now();
    for (const track of this.tracks) this.follow(track, null);
  }

  pause(): void {
    this.playing = false;
    for (const { media } of this.tracks) {
      media.pause();
      media.playbackRate = 1;
    }
  }

  /** Both videos to timeline second `t` (a marker click, the seek bar). */
  seek(t: number): void {
    this.t = clamp(t, 0, this.length);
    this.clockAt = this.now();
    for (const track of this.tracks) {
      const local = this.t - track.offset;
      const length = trackLength(track);
      track.media.currentTime = clamp(local, 0, length);
      track.media.playbackRate = 1;
      if (local < 0 || local >= length) track.media.pause();
      else if (this.playing && track.media.paused) void Promise.resolve(track.media.play()).catch(() => undefined);
    }
  }

  /** Call often (every ~50–100 ms) while the page shows the player. */
  tick(): void {
    if (!this.playing) return;
    const master = this.master();
    const at = this.now();
    if (master) this.t = master.media.currentTime + master.offset;
    else this.t += (at - this.clockAt) / 1000;
    this.clockAt = at;
    if (this.t >= this.length) {
      this.t = this.length;
      this.pause();
      return;
    }
    for (const track of this.tracks) this.follow(track, master);
  }

  /** The first track playing its part of the timeline, with a frame to show: its clock is the timeline's. */
  private master(): SyncTrack | null {
    for (const track of this.tracks) {
      const local = this.t - track.offset;
      const { media } = track;
      if (local >= 0 && local < trackLength(track) && !media.paused && !media.seeking && media.readyState >= HAVE_CURRENT_DATA) return track;
    }
    return null;
  }

  private follow(track: SyncTrack, master: SyncTrack | null): void {
    const { media } = track;
    const local = this.t - track.offset;
    const length = trackLength(track);
    if (local < 0 || local >= length) {
      // this track has not started yet, or is over: hold it at its edge
      if (!media.paused) media.pause();
      const edge = clamp(local, 0, length);
      if (Math.abs(media.currentTime - edge) > HARD_DRIFT_S) media.currentTime = edge;
      return;
    }
    if (media.paused) void Promise.resolve(media.play()).catch(() => undefined);
    if (track === master || media.seeking) {
      media.playbackRate = 1;
      return;
    }
    const drift = media.currentTime - local;
    if (Math.abs(drift) > HARD_DRIFT_S) {
      media.currentTime = local;
      media.playbackRate = 1;
    } else if (Math.abs(drift) > SOFT_DRIFT_S) {
      // ahead → slower, behind → faster, proportionally: 100 ms of drift is gone in about a second
      media.playbackRate = clamp(1 - drift, 1 - MAX_RATE_DELTA, 1 + MAX_RATE_DELTA);
    } else media.playbackRate = 1;
  }
}
