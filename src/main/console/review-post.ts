/**
 * The review form's submission: POST /api/v1/cases/:id/reviews on the backend with the lead's token. The
 * console's outcomes are mapped to the server's vocabulary and the QA categories ride in the note
 * (src/shared/console.ts encodeReviewNote); the review then reaches the agent's workstation through sync as a
 * review.received event. The server refuses a lead reviewing their own case; main refuses it first when it can
 * tell (the case's agent is the lead's own name), so the lead hears it before anything is sent.
 */
import { ReviewSchema, type Review } from '../../shared/cases';
import { QA_OUTCOME_TO_REVIEW, encodeReviewNote, type QaCategory, type QaOutcome } from '../../shared/console';
import { AppFailure } from '../../shared/errors';
import { LeadApiError, type LeadApi } from './lead-api';

export interface ReviewInput {
  caseId: string;
  outcome: QaOutcome;
  note: string;
  categories: QaCategory[];
  /** The case's agent, when the console knows it. */
  agentId: string | null;
}

export async function postReview(api: LeadApi, reviewer: string, input: ReviewInput): Promise<Review> {
  if (input.agentId !== null && input.agentId === reviewer) {
    throw new AppFailure('FORBIDDEN', `a reviewer cannot review their own case: ${input.caseId} was handled by ${reviewer}`);
  }
  let body: unknown;
  try {
    body = await api.request('POST', `api/v1/cases/${encodeURIComponent(input.caseId)}/reviews`, {
      outcome: QA_OUTCOME_TO_REVIEW[input.outcome],
      note: encodeReviewNote(input.categories, input.note),
    });
  } catch (error) {
    if (error instanceof LeadApiError && error.status === 404) {
      throw new AppFailure('NOT_FOUND', `the backend has no case ${input.caseId} (the agent's workstation may not have synced it yet)`);
    }
    throw error;
  }
  const review = ReviewSchema.safeParse(body);
  if (!review.success) throw new AppFailure('BACKEND_REFUSED', 'MALFORMED_RESPONSE: the backend did not answer with the review');
  return review.data;
}
