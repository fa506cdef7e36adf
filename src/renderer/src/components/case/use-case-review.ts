import { useCallback, useEffect, useState } from 'react';
import type { AppError } from '../../../../shared/errors';
import type { CaseRecording, CaseReview } from '../../../../shared/review';
import { useApi } from '../../transport/api-context';

export interface CaseReviewState {
  review: CaseReview | null;
  recordings: CaseRecording[] | null;
  error: AppError | null;
  /** Asks main for fresh media URLs (their tokens are short-lived). */
  refreshRecordings(): void;
}

/** cases.get and cases.recordings for one case; a failure is shown on the page, not as a global error. */
export function useCaseReview(caseId: string): CaseReviewState {
  const api = useApi();
  const [review, setReview] = useState<CaseReview | null>(null);
  const [recordings, setRecordings] = useState<CaseRecording[] | null>(null);
  const [error, setError] = useState<AppError | null>(null);
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    let cancelled = false;
    void api.invoke('cases.get', { caseId }).then((result) => {
      if (cancelled) return;
      if (result.ok) setReview(result.value);
      else setError(result.error);
    });
    return () => {
      cancelled = true;
    };
  }, [api, caseId]);

  useEffect(() => {
    let cancelled = false;
    void api.invoke('cases.recordings', { caseId }).then((result) => {
      if (cancelled) return;
      if (result.ok) setRecordings(result.value);
      else setError(result.error);
    });
    return () => {
      cancelled = true;
    };
  }, [api, caseId, generation]);

  const refreshRecordings = useCallback(() => setGeneration((n) => n + 1), []);
  return { review, recordings, error, refreshRecordings };
}
