/**
 * The agent's side of the queue in the workstation (issue 12): what the renderer and main say about the agent's
 * state, the offer on screen and the queued call in progress. The HTTP wire contract with the backend is
 * src/shared/queue.ts; this file only adds what the workstation itself needs on top (local fields, the
 * 'handover.received' case event). Main holds the backend token and polls; the renderer shows and sends actions.
 */
import { z } from 'zod';
import { CallInfoSchema } from './call';
import { SERVICE_TYPES } from './cases';
import { AgentStateSchema, OfferSchema, PriorCheckSchema, QueueIdSchema, REQUEST_ORIGINS } from './queue';

/** queue.setState: the state the agent picks in the status bar (the agent id comes from 设置, never from the page). */
export const QueueSetStateSchema = z.object({ state: AgentStateSchema }).strict();

/** queue.accept / queue.decline: the offer's request. */
export const QueueRequestRefSchema = z.object({ requestId: QueueIdSchema }).strict();

/**
 * How main is talking to the queue: 'off' (signed out: offline, or no agent id / token), 'polling', 'backoff'
 * (a failure a retry can fix; nextAttemptAt), 'blocked' (a refusal only a person can fix: token refused, a redirect;
 * nothing is retried until the agent sets a state again or the token changes).
 */
export const QUEUE_LINK_STATES = ['off', 'polling', 'backoff', 'blocked'] as const;

/** What happened to the channel's reference photo at accept. */
export const REFERENCE_PHOTO_STATES = ['none', 'set', 'failed'] as const;

/** The hand-over context of the queued call in progress, as the desk shows it (prior checks as done by the channel). */
export const QueueActiveCallSchema = z.object({
  requestId: QueueIdSchema,
  caseId: z.string(),
  callId: z.string(),
  origin: z.enum(REQUEST_ORIGINS),
  serviceType: z.enum(SERVICE_TYPES),
  intent: z.string().nullable(),
  priorChecks: z.array(PriorCheckSchema),
  scriptStep: z.string().nullable(),
  referencePhoto: z.enum(REFERENCE_PHOTO_STATES),
  /** Why the reference photo could not be used (an error code), when referencePhoto is 'failed'. */
  referencePhotoError: z.string().nullable(),
});
export type QueueActiveCall = z.infer<typeof QueueActiveCallSchema>;

export const QueueStatusSchema = z.object({
  /** The agent id from 设置 this status is for (null: none that the queue accepts). */
  agentId: z.string().nullable(),
  /** The state last confirmed by the backend ('offline' until one is). */
  state: AgentStateSchema,
  /** Why the backend changed the state itself, e.g. 'missed_offer'. */
  reason: z.string().nullable(),
  skills: z.array(z.enum(SERVICE_TYPES)),
  offer: OfferSchema.nullable(),
  waiting: z.number().int().nonnegative(),
  /**
   * serverTime − local time when the last answer arrived (ms): offers carry the server's clock, so the countdown
   * to expiresAt is shown as expiresAt − (Date.now() + clockOffsetMs).
   */
  clockOffsetMs: z.number(),
  link: z.enum(QUEUE_LINK_STATES),
  /** The backend origin this is about (null: none configured). */
  server: z.string().nullable(),
  lastError: z.object({ code: z.string(), message: z.string(), at: z.number() }).nullable(),
  nextAttemptAt: z.number().nullable(),
  /** queue.accept is in flight for this request. */
  accepting: QueueIdSchema.nullable(),
  active: QueueActiveCallSchema.nullable(),
});
export type QueueStatus = z.infer<typeof QueueStatusSchema>;

/**
 * queue.accept's answer: the call main started on the backend's room (call.start's CallInfo; its joinUrl is always
 * '' here: the customer joins the room with the secret of their queue link) and the hand-over context.
 */
export const QueueAcceptResultSchema = CallInfoSchema.extend({ active: QueueActiveCallSchema });
export type QueueAcceptResult = z.infer<typeof QueueAcceptResultSchema>;

/**
 * Payload of the 'handover.received' case event: what the channel (or the call-back) brought, written right after
 * 'case.opened' of a queued call, so the case says where it came from and which checks were already done (and by
 * whom, when) before the agent saw the customer. No photo bytes: the reference photo is evidence of its own.
 */
export const HandoverReceivedPayloadSchema = z
  .object({
    requestId: QueueIdSchema,
    origin: z.enum(REQUEST_ORIGINS),
    serviceType: z.enum(SERVICE_TYPES),
    intent: z.string().nullable(),
    priorChecks: z.array(PriorCheckSchema),
    scriptStep: z.string().nullable(),
    hasReferencePhoto: z.boolean(),
    /** When the customer entered the queue and when the agent accepted (epoch ms, the server's clock). */
    enqueuedAt: z.number().int(),
    acceptedAt: z.number().int(),
  })
  .strict();
export type HandoverReceivedPayload = z.infer<typeof HandoverReceivedPayloadSchema>;
