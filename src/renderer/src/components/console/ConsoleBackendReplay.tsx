import { useCallback, useEffect, useState } from 'react';
import type { CaseEvent } from '../../../../shared/cases';
import type { AppError } from '../../../../shared/errors';
import type { CaseRecording } from '../../../../shared/review';
import { useApi } from '../../transport/api-context';
import { ReplayPanel } from '../case/ReplayPanel';
import '../case/case.css';
import { ConsoleError } from './ConsoleError';

/**
 * A backend case's uploaded recordings (console.recordings) in the case page's synced player: main proxies each
 * from GET /api/v1/recordings/:id with the lead's token (/media/backend-recordings/<id>).
 */
export function ConsoleBackendReplay({ caseId, events }: { caseId: string; events: readonly CaseEvent[] }) {
  const api = useApi();
  const [recordings, setRecordings] = useState<CaseRecording[] | null>(null);
  const [error, setError] = useState<AppError | null>(null);
  const [reload, setReload] = useState(0);
  const [selectedSeq, setSelectedSeq] = useState<number | null>(null);

  useEffect(() => {
    let cancelled = false;
    void api.invoke('console.recordings', { source: 'backend', caseId }).then((r) => {
      if (cancelled) return;
      if (r.ok) {
        setRecordings(r.value);
        setError(null);
      } else setError(r.error);
    });
    return () => {
      cancelled = true;
    };
  }, [api, caseId, reload]);

  // media URLs lapse: a video that fails after that asks for fresh ones
  const onExpired = useCallback(() => setReload((n) => n + 1), []);
  const onSession = useCallback(() => undefined, []);

  return (
    <div className="console-backend-replay" data-testid="console-backend-replay">
      <ConsoleError error={error} />
      {!error && <ReplayPanel recordings={recordings} events={events} selectedSeq={selectedSeq} seekRequest={null} onMarker={setSelectedSeq} onExpired={onExpired} onSession={onSession} />}
    </div>
  );
}
