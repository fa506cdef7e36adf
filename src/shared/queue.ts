/**
 * The customer journey's wire contract (issue 12): the hand-over API a self-service channel calls, the queue a
 * waiting customer watches, the agent's presence and offers, call-back appointments and the lead's wallboard.
 * Shared by the backend (server/queue), the workstation (src/main/queue) and the customer page (src/join).
 *
 *   channel token      POST /api/v1/queue/requests                  hand a customer over → {requestId, joinUrl}
 *   customer secret    GET  /api/v1/queue/requests/:id               position, estimated wait; {roomId} once assigned
 *   customer secret    POST /api/v1/queue/requests/:id/leave         the customer gives up waiting
 *   customer secret    POST /api/v1/queue/requests/:id/callback      leaves the queue for a call-back slot
 *   channel | secret   GET  /api/v1/queue/callback-slots?serviceType  free call-back capacity
 *   channel token      POST /api/v1/queue/callbacks                  a channel books a call-back directly
 *   workstation token  PUT  /api/v1/queue/agent                      the agent's state (ready/busy/away/offline)
 *   workstation token  GET  /api/v1/queue/agent                      state + the offer waiting for this agent
 *   workstation token  POST /api/v1/queue/offers/:id/accept          {caseId} → the room, joined with the customer's secret
 *   workstation token  POST /api/v1/queue/offers/:id/decline         passes the offer on at once
 *   workstation token  POST /api/v1/queue/requests/:id/finish        the call for this request is over
 *   lead token         GET  /api/v1/lead/wallboard                   the wallboard numbers
 *
 * The customer's secret is made by the server at hand-over and returned once, inside the join link's fragment
 * (`<public>/join/q/<requestId>#<secret>`): a fragment never reaches a server log. The server keeps only its hash;
 * the room made at accept is joinable with the same secret, so no second secret is ever stored or sent.
 */
import { z } from 'zod';
import { SERVICE_TYPES } from './cases';

export const QUEUE_PATHS = {
  requests: '/api/v1/queue/requests',
  callbackSlots: '/api/v1/queue/callback-slots',
  callbacks: '/api/v1/queue/callbacks',
  agent: '/api/v1/queue/agent',
  offers: '/api/v1/queue/offers',
  wallboard: '/api/v1/lead/wallboard',
} as const;

/** The customer page's path prefix for a queued request: /join/q/<requestId>#<secret>. */
export const QUEUE_JOIN_PATH_PREFIX = '/join/q/';

export const QUEUE_LIMITS = {
  /** The whole hand-over body (the photo travels base64 inside it): 8 MiB. */
  maxBodyBytes: 8 * 1024 * 1024,
  /** The reference photo's decoded bytes: 5 MiB. */
  maxPhotoBytes: 5 * 1024 * 1024,
  maxIntentChars: 500,
  maxPriorChecks: 20,
  /** An offer not accepted in this time passes to the next ready agent. */
  defaultOfferTimeoutMs: 15_000,
  /** A waiting customer whose page has not asked for its status this long has left (abandoned). */
  defaultPresenceTimeoutMs: 30_000,
  /** The service level counts requests answered (accepted) within this much of entering the queue. */
  serviceLevelMs: 20_000,
  /** Call-back slots: length, and how early / late the reminder link works around a slot. */
  slotMs: 15 * 60_000,
  reminderOpensBeforeMs: 10 * 60_000,
  /** A due call-back whose customer did not come is retried once, this much later; then closed. */
  callbackRetryAfterMs: 10 * 60_000,
  /** Priority of a due call-back over a walk-in hand-over (higher first). */
  callbackPriority: 10,
} as const;

const ID = /^[A-Za-z0-9._:-]{1,64}$/;
export const QueueIdSchema = z.string().regex(ID);
export const CustomerRefSchema = z.string().regex(ID).refine((v) => v !== '.' && v !== '..');
export const ServiceTypeSchema = z.enum(SERVICE_TYPES);

/** Checks a channel already did, shown to the agent as done (not repeated unless the agent asks). */
export const PRIOR_CHECK_KINDS = ['sms_otp', 'id_document', 'face_match', 'liveness', 'knowledge_question', 'bank_card', 'other'] as const;
export type PriorCheckKind = (typeof PRIOR_CHECK_KINDS)[number];

export const PriorCheckSchema = z
  .object({
    kind: z.enum(PRIOR_CHECK_KINDS),
    result: z.enum(['pass', 'fail']),
    /** When it was done (epoch ms). */
    at: z.number().int().positive(),
    /** Which channel or system did it, e.g. "app", "ivr", "chatbot". */
    source: z.string().regex(/^[A-Za-z0-9._ -]{1,32}$/),
    /** A short human note, e.g. "SMS OTP to 138****0000". */
    detail: z.string().max(120).optional(),
  })
  .strict();
export type PriorCheck = z.infer<typeof PriorCheckSchema>;

export const REFERENCE_PHOTO_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;

export const HandoverRequestSchema = z
  .object({
    /** The channel's own id for this request: the same id again answers the first request's result (idempotent). */
    channelRequestId: QueueIdSchema,
    serviceType: ServiceTypeSchema,
    customerRef: CustomerRefSchema,
    intent: z.string().max(QUEUE_LIMITS.maxIntentChars).optional(),
    priorChecks: z.array(PriorCheckSchema).max(QUEUE_LIMITS.maxPriorChecks).default([]),
    referencePhoto: z
      .object({ type: z.enum(REFERENCE_PHOTO_TYPES), base64: z.string().max(Math.ceil((QUEUE_LIMITS.maxPhotoBytes * 4) / 3) + 4) })
      .strict()
      .optional(),
    /** The script step to start at (a step id of the service type's script); the first step when absent. */
    scriptStep: QueueIdSchema.optional(),
  })
  .strict();
export type HandoverRequest = z.infer<typeof HandoverRequestSchema>;

export const HandoverResponseSchema = z
  .object({
    requestId: QueueIdSchema,
    /** `<public>/join/q/<requestId>#<secret>`: give it to the customer; answered once (a replay omits it). */
    joinUrl: z.string().url().nullable(),
    state: z.lazy(() => RequestStateSchema),
    /** True when this answer is for a channelRequestId seen before. */
    replayed: z.boolean(),
  })
  .strict();
export type HandoverResponse = z.infer<typeof HandoverResponseSchema>;

export const REQUEST_STATES = ['waiting', 'offered', 'assigned', 'finished', 'abandoned', 'left', 'callback', 'closed'] as const;
export const RequestStateSchema = z.enum(REQUEST_STATES);
export type RequestState = (typeof REQUEST_STATES)[number];

/** Where a request came from: a channel's hand-over, or a booked call-back that fell due. */
export const REQUEST_ORIGINS = ['handover', 'callback'] as const;
export type RequestOrigin = (typeof REQUEST_ORIGINS)[number];

/** What the customer page sees (GET /api/v1/queue/requests/:id with its secret). */
export const CustomerQueueStatusSchema = z
  .object({
    requestId: QueueIdSchema,
    state: RequestStateSchema,
    /** 1 = next; null once no longer waiting. */
    position: z.number().int().positive().nullable(),
    /** Estimated seconds until an agent answers; null when unknown or not waiting. */
    estimatedWaitS: z.number().int().nonnegative().nullable(),
    /** Set once an agent accepted: join this room with the same secret. */
    roomId: z.string().nullable(),
    /** A booked call-back, when state is 'callback'. */
    callback: z.lazy(() => CallbackSchema).nullable(),
  })
  .strict();
export type CustomerQueueStatus = z.infer<typeof CustomerQueueStatusSchema>;

// ---- agents ------------------------------------------------------------------------------------------

/** 在线/示闲 ready, 忙碌 busy, 小休 away, 离线 offline. */
export const AGENT_STATES = ['ready', 'busy', 'away', 'offline'] as const;
export const AgentStateSchema = z.enum(AGENT_STATES);
export type AgentState = (typeof AGENT_STATES)[number];

export const SetAgentStateSchema = z
  .object({
    state: AgentStateSchema,
    /** The agent signed in at this workstation (DESIGN §1: an agent id, not a person's name). */
    agentId: QueueIdSchema,
  })
  .strict();
export type SetAgentState = z.infer<typeof SetAgentStateSchema>;

/** What the agent is offered: enough to decide and to pre-fill the case; the photo is fetched at accept. */
export const OfferSchema = z
  .object({
    requestId: QueueIdSchema,
    serviceType: ServiceTypeSchema,
    customerRef: CustomerRefSchema,
    intent: z.string().nullable(),
    priorChecks: z.array(PriorCheckSchema),
    hasReferencePhoto: z.boolean(),
    scriptStep: z.string().nullable(),
    origin: z.enum(REQUEST_ORIGINS),
    /** When the customer entered the queue, and when this offer lapses (epoch ms, server clock). */
    enqueuedAt: z.number().int(),
    expiresAt: z.number().int(),
  })
  .strict();
export type Offer = z.infer<typeof OfferSchema>;

export const AgentStatusSchema = z
  .object({
    agentId: QueueIdSchema.nullable(),
    state: AgentStateSchema,
    /** Why the server changed the state itself, e.g. 'missed_offer' (an unanswered offer sets the agent away). */
    reason: z.string().nullable(),
    skills: z.array(ServiceTypeSchema),
    offer: OfferSchema.nullable(),
    /** Customers waiting that this agent could take. */
    waiting: z.number().int().nonnegative(),
    serverTime: z.number().int(),
  })
  .strict();
export type AgentStatus = z.infer<typeof AgentStatusSchema>;

export const AcceptOfferSchema = z.object({ caseId: QueueIdSchema }).strict();

/** The accepted request: the room to connect to as agent and the context to pre-fill the case with. */
export const AcceptedOfferSchema = z
  .object({
    requestId: QueueIdSchema,
    roomId: z.string(),
    caseId: QueueIdSchema,
    expiresAt: z.number().int(),
    offer: OfferSchema,
    /** The reference photo (base64), when the channel sent one. */
    referencePhoto: z.object({ type: z.enum(REFERENCE_PHOTO_TYPES), base64: z.string() }).strict().nullable(),
  })
  .strict();
export type AcceptedOffer = z.infer<typeof AcceptedOfferSchema>;

// ---- call-backs --------------------------------------------------------------------------------------

export const CALLBACK_STATES = ['booked', 'queued', 'retry', 'done', 'closed'] as const;
export type CallbackState = (typeof CALLBACK_STATES)[number];

export const CallbackSchema = z
  .object({
    callbackId: QueueIdSchema,
    serviceType: ServiceTypeSchema,
    slotStart: z.number().int(),
    slotEnd: z.number().int(),
    state: z.enum(CALLBACK_STATES),
    /** Set when closed: 'customer_absent' after the retry, 'cancelled'. */
    closedReason: z.string().nullable(),
    /** `<public>/join/q/<requestId>#<secret>` for the call-back; works from reminderOpensBeforeMs before the slot. */
    reminderUrl: z.string().url().nullable(),
  })
  .strict();
export type Callback = z.infer<typeof CallbackSchema>;

export const BookCallbackSchema = z.object({ slotStart: z.number().int() }).strict();
export const ChannelBookCallbackSchema = z
  .object({ channelRequestId: QueueIdSchema, serviceType: ServiceTypeSchema, customerRef: CustomerRefSchema, slotStart: z.number().int(), intent: z.string().max(QUEUE_LIMITS.maxIntentChars).optional() })
  .strict();

/** POST /api/v1/queue/callbacks: the booked call-back; `callback.reminderUrl` carries the secret the first time only. */
export const ChannelCallbackResponseSchema = z.object({ requestId: QueueIdSchema, replayed: z.boolean(), callback: z.lazy(() => CallbackSchema) }).strict();
export type ChannelCallbackResponse = z.infer<typeof ChannelCallbackResponseSchema>;

export const CallbackSlotSchema = z.object({ slotStart: z.number().int(), slotEnd: z.number().int(), free: z.number().int().nonnegative() }).strict();
export const CallbackSlotsSchema = z.object({ serviceType: ServiceTypeSchema, slots: z.array(CallbackSlotSchema) }).strict();
export type CallbackSlot = z.infer<typeof CallbackSlotSchema>;

// ---- wallboard ---------------------------------------------------------------------------------------

export const WallboardSchema = z
  .object({
    at: z.number().int(),
    waiting: z.number().int().nonnegative(),
    /** The longest current wait in seconds (0 when nobody waits). */
    longestWaitS: z.number().int().nonnegative(),
    agents: z.record(AgentStateSchema, z.number().int().nonnegative()),
    /** Today (server's day, UTC): requests that ended waiting, answered within QUEUE_LIMITS.serviceLevelMs, abandoned. */
    today: z
      .object({
        offered: z.number().int().nonnegative(),
        answered: z.number().int().nonnegative(),
        answeredWithinServiceLevel: z.number().int().nonnegative(),
        /** answeredWithinServiceLevel / (answered + abandoned); null with no traffic. */
        serviceLevel: z.number().min(0).max(1).nullable(),
        abandoned: z.number().int().nonnegative(),
      })
      .strict(),
    callbacksDue: z.number().int().nonnegative(),
    /** Per hour of today: waiting-time p50 in seconds and answered count, for the chart. */
    hourly: z.array(z.object({ hour: z.number().int().min(0).max(23), answered: z.number().int(), abandoned: z.number().int(), medianWaitS: z.number().nullable() }).strict()),
  })
  .strict();
export type Wallboard = z.infer<typeof WallboardSchema>;

/** Error codes of the queue API (answered as {error:{code,message}} with a 4xx/5xx). */
export const QUEUE_ERROR_CODES = [
  'INVALID_PAYLOAD',
  'PAYLOAD_TOO_LARGE',
  'PHOTO_INVALID',
  'IDEMPOTENCY_CONFLICT',
  'NOT_FOUND',
  'OFFER_GONE',
  'NOT_WAITING',
  'SLOT_FULL',
  'SLOT_INVALID',
  'REMINDER_NOT_OPEN',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'UNAVAILABLE',
] as const;
export type QueueErrorCode = (typeof QUEUE_ERROR_CODES)[number];
