import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { CaseEvent } from '../../../../shared/cases';
import type { CaseRecording } from '../../../../shared/review';
import { formatEventTime } from './format-time';
import { ReplayPlayer, type ReplayPlayerProps } from './ReplayPlayer';
import { replaySessions, type ReplaySession } from './timeline-markers';

export interface ReplayPanelProps extends Pick<ReplayPlayerProps, 'selectedSeq' | 'seekRequest' | 'onMarker' | 'onExpired'> {
  recordings: readonly CaseRecording[] | null;
  events: readonly CaseEvent[];
  /** The session on screen, so the event list can show where each event falls on it. */
  onSession(session: ReplaySession | null): void;
}

/** 录像回放: the recorded sessions of the call (usually one pair), one of them in the synced player. */
export function ReplayPanel({ recordings, events, onSession, ...player }: ReplayPanelProps) {
  const { t } = useTranslation();
  const sessions = useMemo(() => replaySessions(recordings ?? []), [recordings]);
  const [index, setIndex] = useState(0);
  const session = sessions[Math.min(index, sessions.length - 1)] ?? null;
  const purgedOnly = (recordings?.length ?? 0) > 0 && sessions.length === 0;
  useEffect(() => {
    onSession(session);
  }, [session, onSession]);

  return (
    <section className="panel case-replay" data-testid="case-replay">
      <h2>{t('case.replay.title')}</h2>
      {recordings && sessions.length === 0 && <p className="muted">{purgedOnly ? t('case.replay.purged') : t('case.replay.none')}</p>}
      {sessions.length > 1 && (
        <label className="replay-session">
          {t('case.replay.session')}{' '}
          <select data-testid="replay-session" value={index} onChange={(e) => setIndex(Number(e.target.value))}>
            {sessions.map((s, i) => (
              <option key={s.originMs} value={i}>
                {t('case.replay.sessionItem', { n: i + 1, time: formatEventTime(s.originMs), seconds: Math.round(s.lengthMs / 1000) })}
              </option>
            ))}
          </select>
        </label>
      )}
      {session && <ReplayPlayer key={session.originMs} session={session} events={events} {...player} />}
    </section>
  );
}
