import { useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { CaseEvent } from '../../../../shared/cases';
import type { CaseRecording } from '../../../../shared/review';
import { formatOffset } from './format-time';
import { ReplaySync, type SyncTrack } from './replay-sync';
import { Timeline } from './Timeline';
import { timelineMarkers, type ReplaySession, type TimelineMarker } from './timeline-markers';

/** How often the follower is checked against the master: well under the ~100 ms the two may drift apart. */
const TICK_MS = 50;

export interface ReplayPlayerProps {
  session: ReplaySession;
  events: readonly CaseEvent[];
  selectedSeq: number | null;
  /** A seek asked from outside (an event row); `n` changes for each request. */
  seekRequest: { seconds: number; n: number } | null;
  onMarker(seq: number): void;
  /** A video failed after its media URL lapsed: ask main for fresh ones. */
  onExpired(): void;
}

const TRACKS = ['customer', 'agent'] as const;

/** The two recordings side by side, driven by one timeline (replay-sync.ts). */
export function ReplayPlayer({ session, events, selectedSeq, seekRequest, onMarker, onExpired }: ReplayPlayerProps) {
  const { t } = useTranslation();
  const refs = { customer: useRef<HTMLVideoElement>(null), agent: useRef<HTMLVideoElement>(null) };
  const sync = useRef<ReplaySync | null>(null);
  // where to put the timeline back once a video reloads (fresh media URL)
  const resumeAt = useRef<number | null>(null);
  const [position, setPosition] = useState(0);
  const [length, setLength] = useState(session.lengthMs / 1000);
  const [playing, setPlaying] = useState(false);
  const [errors, setErrors] = useState<Partial<Record<(typeof TRACKS)[number], boolean>>>({});

  const offsetOf = (r: CaseRecording) => (r.startedAt - session.originMs) / 1000;
  const customerKey = session.customer?.recordingId ?? '';
  const agentKey = session.agent?.recordingId ?? '';

  useEffect(() => {
    const tracks: SyncTrack[] = [];
    for (const track of TRACKS) {
      const rec = session[track];
      const media = refs[track].current;
      if (rec && media) tracks.push({ media, offset: (rec.startedAt - session.originMs) / 1000, fallbackLength: (rec.durationMs ?? 0) / 1000 });
    }
    const s = new ReplaySync(tracks);
    sync.current = s;
    const timer = setInterval(() => {
      s.tick();
      setPosition(s.position);
      setPlaying(s.isPlaying);
      setLength(s.length);
    }, TICK_MS);
    return () => {
      clearInterval(timer);
      s.pause();
      sync.current = null;
    };
    // one controller per pair of recordings; refs are stable
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [customerKey, agentKey, session.originMs]);

  useEffect(() => {
    if (seekRequest) sync.current?.seek(seekRequest.seconds);
  }, [seekRequest]);

  const byId = useMemo(() => new Map(events.map((e) => [e.seq, e])), [events]);
  const markers = useMemo(() => timelineMarkers(events, session.originMs, Math.max(session.lengthMs, length * 1000)), [events, session.originMs, session.lengthMs, length]);

  const toggle = () => {
    const s = sync.current;
    if (!s) return;
    if (s.isPlaying) s.pause();
    else s.play();
    setPlaying(s.isPlaying);
  };
  const seek = (seconds: number) => {
    sync.current?.seek(seconds);
    setPosition(sync.current?.position ?? seconds);
  };
  const marker = (m: TimelineMarker) => {
    if (m.inRange) seek(m.offsetMs / 1000);
    onMarker(m.seq);
  };

  return (
    <div className="replay" data-testid="replay" data-origin-ms={session.originMs}>
      <div className="replay-videos">
        {TRACKS.map((track) => {
          const rec = session[track];
          const name = t(`case.replay.${track}`);
          return (
            <figure key={track} className="replay-track">
              <figcaption>
                {name}
                {rec && !rec.seekable && <span className="muted"> · {t('case.replay.notSeekable')}</span>}
                {rec?.state === 'failed' && <span className="warn"> · {t('case.replay.failed', { track: name })}</span>}
              </figcaption>
              {rec?.mediaUrl ? (
                <video
                  ref={refs[track]}
                  className="video"
                  data-testid={`replay-video-${track}`}
                  data-recording-id={rec.recordingId}
                  data-offset-s={offsetOf(rec).toFixed(3)}
                  src={rec.mediaUrl}
                  preload="auto"
                  playsInline
                  onLoadedMetadata={() => {
                    setErrors((e) => ({ ...e, [track]: false }));
                    if (resumeAt.current !== null) sync.current?.seek(resumeAt.current);
                  }}
                  onError={() => {
                    setErrors((e) => ({ ...e, [track]: true }));
                    // a lapsed token: fresh URLs, then back to where the timeline was
                    if (rec.mediaExpiresAt !== null && rec.mediaExpiresAt <= Date.now()) {
                      resumeAt.current = sync.current?.position ?? 0;
                      onExpired();
                    }
                  }}
                />
              ) : (
                <div className="placeholder">{t('case.replay.missingTrack', { track: name })}</div>
              )}
              {errors[track] && <p className="warn">{t('case.replay.loadError', { track: name })}</p>}
            </figure>
          );
        })}
      </div>
      <div className="replay-controls">
        <button type="button" className="primary" data-testid="replay-play" data-playing={playing ? 'true' : 'false'} onClick={toggle}>
          {playing ? t('case.replay.pause') : t('case.replay.play')}
        </button>
        <span className="replay-position" data-testid="replay-position" data-position-s={position.toFixed(3)}>
          {formatOffset(position)} / {formatOffset(length)}
        </span>
      </div>
      <Timeline length={length} position={position} markers={markers} events={byId} selectedSeq={selectedSeq} onSeek={seek} onMarker={marker} />
    </div>
  );
}
