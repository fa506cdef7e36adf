import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import type { CaseEvent } from '../../../../shared/cases';
import { actorText, eventLine, eventTypeKey, type Translate } from './event-text';
import { formatEventTime, formatOffset } from './format-time';

export interface EventListProps {
  events: readonly CaseEvent[];
  /** The replay session's start and length (ms), to show where each event falls on the recording; null without one. */
  span: { originMs: number; lengthMs: number } | null;
  selectedSeq: number | null;
  onSelect(event: CaseEvent, offsetMs: number | null): void;
}

/** Every event in chain order: seq, time, type, actor and one readable line; a click on one inside the recording seeks there. */
export function EventList({ events, span, selectedSeq, onSelect }: EventListProps) {
  const { t } = useTranslation();
  const tr = t as unknown as Translate;
  const selectedRef = useRef<HTMLTableRowElement>(null);
  // a block body on purpose: current Chromium's scrollIntoView returns a Promise, and an effect that returns
  // anything but a function makes React call it as the cleanup at the next selection ("destroy_ is not a function")
  useEffect(() => {
    void selectedRef.current?.scrollIntoView({ block: 'nearest' });
  }, [selectedSeq]);
  return (
    <section className="panel case-events" data-testid="case-events">
      <h2>{t('case.events.title')}</h2>
      <div className="case-events-scroll">
        <table>
          <thead>
            <tr>
              <th>{t('case.events.seq')}</th>
              <th>{t('case.events.time')}</th>
              <th>{t('case.events.type')}</th>
              <th>{t('case.events.actor')}</th>
              <th>{t('case.events.detail')}</th>
              <th>{t('case.events.offset')}</th>
            </tr>
          </thead>
          <tbody>
            {events.map((e) => {
              const offsetMs = span ? e.at - span.originMs : null;
              const inRecording = offsetMs !== null && span !== null && offsetMs >= 0 && offsetMs <= span.lengthMs;
              return (
                <tr
                  key={e.seq}
                  ref={e.seq === selectedSeq ? selectedRef : undefined}
                  data-testid="case-event"
                  data-seq={e.seq}
                  data-type={e.type}
                  className={e.seq === selectedSeq ? 'selected' : undefined}
                  onClick={() => onSelect(e, inRecording ? offsetMs : null)}
                >
                  <td>{e.seq}</td>
                  <td>
                    <time dateTime={new Date(e.at).toISOString()}>{formatEventTime(e.at)}</time>
                  </td>
                  <td>{t(eventTypeKey(e.type), { defaultValue: e.type })}</td>
                  <td>{actorText(tr, e.actor)}</td>
                  <td className="event-line">{eventLine(tr, e)}</td>
                  <td>{inRecording ? formatOffset(offsetMs / 1000) : ''}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}
