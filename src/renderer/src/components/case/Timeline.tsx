import { useTranslation } from 'react-i18next';
import type { CaseEvent } from '../../../../shared/cases';
import { eventLine, type Translate } from './event-text';
import { formatOffset } from './format-time';
import type { TimelineMarker } from './timeline-markers';

export interface TimelineProps {
  /** Seconds. */
  length: number;
  position: number;
  markers: readonly TimelineMarker[];
  events: ReadonlyMap<number, CaseEvent>;
  selectedSeq: number | null;
  onSeek(seconds: number): void;
  onMarker(marker: TimelineMarker): void;
}

/** One row per kind of mark, so marks a few milliseconds apart (a challenge step and its check result) never hide each other. */
const LANES: { id: string; kinds: readonly TimelineMarker['kind'][] }[] = [
  { id: 'check', kinds: ['check'] },
  { id: 'challenge', kinds: ['challenge', 'code', 'occlusion'] },
  { id: 'guidance', kinds: ['guidance'] },
  { id: 'script', kinds: ['script'] },
  { id: 'advice', kinds: ['advice'] },
  { id: 'decision', kinds: ['decision'] },
];

/** The one seek bar of both videos, with every check, challenge step, guidance push, script step and decision on it. */
export function Timeline({ length, position, markers, events, selectedSeq, onSeek, onMarker }: TimelineProps) {
  const { t } = useTranslation();
  const tr = t as unknown as Translate;
  const span = Math.max(length, 0.001);
  const percent = (seconds: number) => `${Math.min(100, Math.max(0, (seconds / span) * 100))}%`;
  return (
    <div className="timeline" data-testid="timeline" data-length-s={length.toFixed(3)}>
      <div className="timeline-row">
        <span className="lane-label" />
        <input
          type="range"
          data-testid="timeline-seek"
          aria-label={t('case.replay.seek')}
          min={0}
          max={span}
          step={0.05}
          value={Math.min(position, span)}
          onChange={(e) => onSeek(Number(e.target.value))}
        />
      </div>
      <div className="timeline-lanes" aria-label={t('case.replay.markers')}>
        {LANES.map((lane) => (
          <div key={lane.id} className="timeline-row" data-lane={lane.id}>
            <span className="lane-label">{t(`case.replay.lanes.${lane.id}`)}</span>
            <div className="lane-track">
              <span className="playhead" style={{ left: percent(position) }} />
              {markers
                .filter((m) => lane.kinds.includes(m.kind))
                .map((m) => {
                  const event = events.get(m.seq);
                  const text = `${formatOffset(m.offsetMs / 1000)} ${t(`case.replay.kinds.${m.kind}`)}：${event ? eventLine(tr, event) : ''}${m.inRange ? '' : `（${t('case.replay.outside')}）`}`;
                  return (
                    <button
                      key={m.seq}
                      type="button"
                      data-testid="timeline-marker"
                      data-seq={m.seq}
                      data-kind={m.kind}
                      data-offset-ms={m.offsetMs}
                      data-in-range={m.inRange ? 'true' : 'false'}
                      className={`marker marker-${m.kind} tone-${m.tone}${m.seq === selectedSeq ? ' selected' : ''}`}
                      style={{ left: percent(m.offsetMs / 1000) }}
                      title={text}
                      aria-label={text}
                      disabled={!m.inRange}
                      onClick={() => onMarker(m)}
                    />
                  );
                })}
            </div>
          </div>
        ))}
      </div>
    </div>
  );
}
