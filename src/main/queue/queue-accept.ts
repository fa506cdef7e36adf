/**
 * Taking a queue offer (issue 12 item 3): the backend is asked first, so an offer that just passed on (OFFER_GONE)
 * leaves no empty case behind; then the case is opened with the context the backend holds for the request (service
 * type, customer reference) and a 'handover.received' event (origin, the channel's checks with time and source,
 * intent, script step), and the call starts in the room the backend made at accept. The workstation creates no
 * room and no join link here: the customer joins that room with the secret of their queue link. The reference
 * photo, when the channel sent one, becomes the desk's ID photo (face match runs against it).
 */
import { randomUUID } from 'node:crypto';
import type { CallInfo } from '../../shared/call';
import { AppFailure } from '../../shared/errors';
import type { AcceptedOffer, Offer } from '../../shared/queue';
import { HandoverReceivedPayloadSchema, type QueueActiveCall } from '../../shared/queue-desk';
import type { CallService } from '../call/call-service';
import type { CaseStore } from '../caselog/store';
import type { DeskService } from '../desk/desk-service';
import { sniffImageType } from '../engine/image-type';
import type { Logger } from '../log/logger';
import type { QueueClient } from './queue-client';

export interface AcceptDeps {
  client: Pick<QueueClient, 'accept' | 'finish'>;
  store: Pick<CaseStore, 'openCase' | 'append'>;
  calls: Pick<CallService, 'startInRoom'>;
  desk: Pick<DeskService, 'useReferencePhoto'> | null;
  agentId: string;
  log: Logger;
  /** The server's clock as this workstation estimates it (local time + the offset of the last poll). */
  serverNow: () => number;
}

const MIME_OF = { jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp' } as const;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export async function acceptOffer(deps: AcceptDeps, offered: Offer): Promise<{ info: CallInfo; active: QueueActiveCall }> {
  const caseId = randomUUID();
  const accepted = await deps.client.accept(offered.requestId, caseId);
  // what the backend answered now, not what the offer said a few seconds ago
  const offer = accepted.offer;
  let info: CallInfo;
  try {
    deps.store.openCase({
      caseId,
      agentId: deps.agentId,
      serviceType: offer.serviceType,
      customerRef: offer.customerRef,
      context: { channel: 'queue', origin: offer.origin, requestId: offer.requestId },
    });
    deps.store.append({ caseId, type: 'handover.received', actor: 'system', payload: handoverPayload(accepted, deps.serverNow()) });
    info = deps.calls.startInRoom({
      caseId,
      roomId: accepted.roomId,
      expiresAt: accepted.expiresAt,
      serviceType: offer.serviceType,
      startedPayload: { requestId: offer.requestId, origin: offer.origin },
    });
  } catch (error) {
    // the customer was assigned to this seat but no call could start here (disk full, a call already running):
    // the request is finished rather than left assigned to nobody, and the agent sees why
    await deps.client.finish(offer.requestId).catch((finishError: unknown) => deps.log.warn({ err: String(finishError), requestId: offer.requestId }, 'finishing a request whose call did not start failed'));
    throw error;
  }
  const photo = await usePhoto(deps, info.callId, accepted);
  deps.log.info({ requestId: offer.requestId, caseId, callId: info.callId, origin: offer.origin, referencePhoto: photo.state }, 'queue offer accepted');
  return {
    info,
    active: {
      requestId: offer.requestId,
      caseId,
      callId: info.callId,
      origin: offer.origin,
      serviceType: offer.serviceType,
      intent: offer.intent,
      priorChecks: offer.priorChecks,
      scriptStep: offer.scriptStep,
      referencePhoto: photo.state,
      referencePhotoError: photo.error,
    },
  };
}

function handoverPayload(accepted: AcceptedOffer, acceptedAt: number): Record<string, unknown> {
  const { offer } = accepted;
  // parsed, so the event can only ever hold what its schema allows
  return HandoverReceivedPayloadSchema.parse({
    requestId: offer.requestId,
    origin: offer.origin,
    serviceType: offer.serviceType,
    intent: offer.intent,
    priorChecks: offer.priorChecks,
    scriptStep: offer.scriptStep,
    hasReferencePhoto: accepted.referencePhoto !== null,
    enqueuedAt: offer.enqueuedAt,
    acceptedAt: Math.round(acceptedAt),
  });
}

/**
 * The reference photo as the ID photo. A photo that cannot be used (not the image type it claims, the engine down)
 * does not stop the call: the desk says so and the agent can still drop an ID photo by hand.
 */
async function usePhoto(deps: AcceptDeps, callId: string, accepted: AcceptedOffer): Promise<{ state: QueueActiveCall['referencePhoto']; error: string | null }> {
  const photo = accepted.referencePhoto;
  if (!photo) return { state: 'none', error: null };
  try {
    if (!deps.desk) throw new AppFailure('UNAVAILABLE', 'the verification desk is not available');
    if (!BASE64.test(photo.base64)) throw new AppFailure('CORRUPT_INPUT', 'the reference photo is not base64');
    const bytes = Buffer.from(photo.base64, 'base64');
    const sniffed = sniffImageType(bytes);
    if (sniffed === null || MIME_OF[sniffed] !== photo.type) throw new AppFailure('CORRUPT_INPUT', `the reference photo is not the ${photo.type} it claims to be`);
    await deps.desk.useReferencePhoto(callId, bytes);
    return { state: 'set', error: null };
  } catch (error) {
    const code = error instanceof AppFailure ? error.code : 'INTERNAL';
    // never the photo, only why it was not used
    deps.log.warn({ callId, code, err: error instanceof Error ? error.message : String(error) }, 'the hand-over reference photo was not used');
    return { state: 'failed', error: code };
  }
}
