/**
 * The signaling protocol of a live video session (DESIGN.md §2, §8): what the backend's signaling
 * WebSocket (`/api/v1/signal`), the workstation's main process and the customer's join page say to
 * each other. Node-free and DOM-free: the server, main and the join page all validate with these.
 *
 * A room belongs to one case and has two seats, `agent` and `customer`.
 *
 *   workstation  POST /api/v1/rooms {caseId}            (Bearer workstation token)
 *                → {roomId, joinUrl, expiresAt, joinExpiresAt}; joinUrl = <public>/join/<roomId>#<customer token>
 *   either party WS /api/v1/signal, then within HELLO_TIMEOUT_MS its first message is `hello`:
 *                agent:    {t:'hello', role:'agent', room}           + Authorization: Bearer <workstation token>
 *                customer: {t:'hello', role:'customer', room, token}  (first join; the token is single-use)
 *                customer: {t:'hello', role:'customer', room, resume} (rejoin after a drop or a reload)
 *   server       → {t:'welcome', …, resume?, iceServers, iceTransportPolicy, peerPresent}
 *   then         {t:'signal', gen, data} and {t:'app', data} are relayed to the other seat;
 *                the server sends {t:'peer', state} when the other seat joins or leaves,
 *                {t:'closed', reason} when the room ends, {t:'error', code, message} before closing a socket.
 *
 * `gen` is the peer generation. The agent is always the WebRTC initiator; after an ICE failure it
 * builds a new peer with gen + 1, and a customer that sees a higher gen drops its peer and answers
 * the new one (simple-peer has no ICE restart).
 */
import { z } from 'zod';

export const SIGNAL_PATH = '/api/v1/signal';
export const ROOMS_PATH = '/api/v1/rooms';
export const JOIN_PATH_PREFIX = '/join/';

export const SIGNAL_LIMITS = {
  /** Largest text message either party may send; larger closes that socket (1009). */
  maxMessageBytes: 64 * 1024,
  /** Token bucket per connection: sustained messages per second and burst. */
  messagesPerSecond: 40,
  burst: 120,
  helloTimeoutMs: 5_000,
  /** A customer join token is valid this long after the room is created. */
  joinTokenTtlMs: 15 * 60_000,
  /** A room closes itself this long after it was created. */
  roomTtlMs: 4 * 60 * 60_000,
  /** NOTIFY carries at most ~8000 bytes; larger relayed messages go through a table. */
  notifyInlineBytes: 7_000,
} as const;

export const ROOM_ID_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;
export const RoomIdSchema = z.string().regex(ROOM_ID_PATTERN);
/** Customer join tokens and resume secrets: 256-bit base64url. */
export const SecretSchema = z.string().regex(/^[A-Za-z0-9_-]{32,128}$/);

export const ROLES = ['agent', 'customer'] as const;
export type Role = (typeof ROLES)[number];

/** Every refusal the signaling service gives, in `{t:'error'}` messages and in HTTP error bodies. */
export const SIGNAL_ERROR_CODES = [
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'MALFORMED_MESSAGE',
  'MESSAGE_TOO_LARGE',
  'RATE_LIMITED',
  'HELLO_TIMEOUT',
  'ROOM_NOT_FOUND',
  'ROOM_CLOSED',
  'ROOM_EXPIRED',
  'ROOM_FULL',
  'TOKEN_INVALID',
  'TOKEN_EXPIRED',
  'TOKEN_USED',
  'REPLACED',
  'UNAVAILABLE',
  'INTERNAL',
] as const;
export type SignalErrorCode = (typeof SIGNAL_ERROR_CODES)[number];

/** WebSocket close code for each refusal (4000–4999 are the application's). */
export const SIGNAL_CLOSE_CODES: Record<SignalErrorCode, number> = {
  UNAUTHENTICATED: 4401,
  FORBIDDEN: 4403,
  MALFORMED_MESSAGE: 4400,
  MESSAGE_TOO_LARGE: 1009,
  RATE_LIMITED: 4429,
  HELLO_TIMEOUT: 4408,
  ROOM_NOT_FOUND: 4404,
  ROOM_CLOSED: 4410,
  ROOM_EXPIRED: 4411,
  ROOM_FULL: 4409,
  TOKEN_INVALID: 4402,
  TOKEN_EXPIRED: 4412,
  TOKEN_USED: 4413,
  REPLACED: 4000,
  UNAVAILABLE: 4503,
  INTERNAL: 4500,
};

// ---- simple-peer's signal objects, validated before they are relayed or applied -------------------

const SdpSchema = z.string().max(48 * 1024);
export const SignalDataSchema = z.union([
  z.object({ type: z.enum(['offer', 'answer', 'pranswer', 'rollback']), sdp: SdpSchema }).strict(),
  z
    .object({
      type: z.literal('candidate'),
      candidate: z
        .object({
          candidate: z.string().max(2048),
          sdpMLineIndex: z.number().int().min(0).max(64).nullable().optional(),
          sdpMid: z.string().max(64).nullable().optional(),
          usernameFragment: z.string().max(256).nullable().optional(),
        })
        .strict(),
    })
    .strict(),
  // simple-peer also puts a `type` on these two; accepted (and ignored) so neither side must rewrite them
  z.object({ type: z.literal('renegotiate').optional(), renegotiate: z.literal(true) }).strict(),
  z
    .object({
      type: z.literal('transceiverRequest').optional(),
      transceiverRequest: z.object({ kind: z.enum(['audio', 'video']), init: z.record(z.string(), z.unknown()).optional() }).strict(),
    })
    .strict(),
]);
export type SignalData = z.infer<typeof SignalDataSchema>;

export const PeerGenerationSchema = z.number().int().min(0).max(1_000_000);

// ---- customer → agent application messages (relayed by the server, logged as case events by main) --

/** What the customer page reports about its camera; a virtual-camera label is a risk signal. */
export const DeviceReportSchema = z
  .object({
    kind: z.literal('device'),
    videoLabel: z.string().max(256),
    audioLabel: z.string().max(256),
    /** A subset of MediaTrackSettings, numbers and short strings only. */
    settings: z.record(z.string().max(64), z.union([z.number(), z.string().max(128), z.boolean()])).refine((s) => Object.keys(s).length <= 32),
    userAgent: z.string().max(512),
  })
  .strict();
export type DeviceReport = z.infer<typeof DeviceReportSchema>;

/**
 * Phone or PC, from the join page's user agent (capture conditions differ: a phone camera held at arm's length
 * vs a webcam; the verification records it with the case). A claim of the customer's browser, not proof.
 */
export function platformOf(userAgent: string): 'phone' | 'pc' {
  return /Mobi|Android|iPhone|iPad|iPod|HarmonyOS|MicroMessenger/i.test(userAgent) ? 'phone' : 'pc';
}

export const ConsentSchema = z
  .object({
    kind: z.literal('consent'),
    subject: z.enum(['camera', 'recording']),
    granted: z.boolean(),
    /** The customer page's language when asked (the wording they saw). */
    language: z.enum(['zh-CN', 'en']),
  })
  .strict();
export type Consent = z.infer<typeof ConsentSchema>;

/** The customer page's own media state (camera denied / missing / lost, back). */
export const CustomerMediaStateSchema = z
  .object({
    kind: z.literal('media'),
    state: z.enum(['live', 'denied', 'missing', 'lost', 'left']),
  })
  .strict();
export type CustomerMediaState = z.infer<typeof CustomerMediaStateSchema>;

export const CustomerAppMessageSchema = z.discriminatedUnion('kind', [DeviceReportSchema, ConsentSchema, CustomerMediaStateSchema]);
export type CustomerAppMessage = z.infer<typeof CustomerAppMessageSchema>;

/** Agent → customer application messages through signaling (the guidance itself goes over the data channel). */
export const AgentAppMessageSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('end'), reason: z.enum(['completed', 'agent_left']) }).strict(),
]);
export type AgentAppMessage = z.infer<typeof AgentAppMessageSchema>;

// ---- client → server ---------------------------------------------------------------------------------

export const HelloSchema = z.discriminatedUnion('role', [
  z.object({ t: z.literal('hello'), role: z.literal('agent'), room: RoomIdSchema }).strict(),
  z
    .object({
      t: z.literal('hello'),
      role: z.literal('customer'),
      room: RoomIdSchema,
      token: SecretSchema.optional(),
      resume: SecretSchema.optional(),
    })
    .strict()
    .refine((h) => (h.token === undefined) !== (h.resume === undefined), 'exactly one of token or resume'),
]);
export type Hello = z.infer<typeof HelloSchema>;

export const ClientSignalSchema = z.object({ t: z.literal('signal'), gen: PeerGenerationSchema, data: SignalDataSchema }).strict();
export const ClientAppSchema = z.object({ t: z.literal('app'), data: z.union([CustomerAppMessageSchema, AgentAppMessageSchema]) }).strict();
/** The agent ends the room for both parties. */
export const ClientByeSchema = z.object({ t: z.literal('bye') }).strict();
export const ClientPingSchema = z.object({ t: z.literal('ping') }).strict();

/** Any message after hello. The room is bound at hello: no later message names a room. */
export const ClientMessageSchema = z.discriminatedUnion('t', [ClientSignalSchema, ClientAppSchema, ClientByeSchema, ClientPingSchema]);
export type ClientMessage = z.infer<typeof ClientMessageSchema>;

// ---- server → client ---------------------------------------------------------------------------------

export const IceServerSchema = z
  .object({
    urls: z.union([z.string().max(512), z.array(z.string().max(512)).max(8)]),
    username: z.string().max(256).optional(),
    credential: z.string().max(256).optional(),
  })
  .strict();
export type IceServer = z.infer<typeof IceServerSchema>;

export const WelcomeSchema = z
  .object({
    t: z.literal('welcome'),
    role: z.enum(ROLES),
    room: RoomIdSchema,
    caseId: z.string().max(64),
    /** Only to a customer: the secret that lets this browser rejoin after a drop or reload. */
    resume: SecretSchema.optional(),
    /** STUN/TURN servers with short-lived TURN credentials (TURN REST scheme), from server configuration. */
    iceServers: z.array(IceServerSchema).max(8),
    iceTransportPolicy: z.enum(['all', 'relay']),
    /** Whether the other seat is connected right now. */
    peerPresent: z.boolean(),
    /** When the TURN credentials stop working (epoch ms); rejoin or refresh before. */
    iceExpiresAt: z.number().int().nonnegative(),
    roomExpiresAt: z.number().int().nonnegative(),
  })
  .strict();
export type Welcome = z.infer<typeof WelcomeSchema>;

export const ServerMessageSchema = z.discriminatedUnion('t', [
  WelcomeSchema,
  z.object({ t: z.literal('signal'), gen: PeerGenerationSchema, data: SignalDataSchema }).strict(),
  z.object({ t: z.literal('app'), data: z.union([CustomerAppMessageSchema, AgentAppMessageSchema]) }).strict(),
  z.object({ t: z.literal('peer'), state: z.enum(['joined', 'left']) }).strict(),
  z.object({ t: z.literal('closed'), reason: z.enum(['ended', 'expired']) }).strict(),
  z.object({ t: z.literal('pong') }).strict(),
  z.object({ t: z.literal('error'), code: z.enum(SIGNAL_ERROR_CODES), message: z.string().max(512) }).strict(),
]);
export type ServerMessage = z.infer<typeof ServerMessageSchema>;

// ---- HTTP ---------------------------------------------------------------------------------------------

export const CreateRoomRequestSchema = z.object({ caseId: z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/) }).strict();
export const CreateRoomResponseSchema = z
  .object({
    roomId: RoomIdSchema,
    caseId: z.string(),
    /** `<public base>/join/<roomId>#<token>`; the token is in the fragment so it never reaches server logs. */
    joinUrl: z.string().url(),
    joinExpiresAt: z.number().int(),
    expiresAt: z.number().int(),
  })
  .strict();
export type CreateRoomResponse = z.infer<typeof CreateRoomResponseSchema>;

// ---- peer data channel (agent ⇄ customer page, peer to peer) -------------------------------------------

/** Guidance prompts the agent pushes to the customer page (texts live in the join page's i18n). */
export const GUIDANCE_KEYS = [
  'move_to_light',
  'avoid_backlight',
  'hold_still',
  'come_closer',
  'move_back',
  'face_camera',
  'turn_left_slowly',
  'turn_right_slowly',
  'blink',
  'open_mouth',
  'nod',
  'remove_obstruction',
  'only_you',
  'show_id_front',
  'show_id_back',
  /** The hand-over-face test (face-swap screening): a hand briefly in front of the face, then away. */
  'cover_face_briefly',
] as const;
export type GuidanceKey = (typeof GUIDANCE_KEYS)[number];

/** Active-liveness actions (DESIGN.md §6); the customer page shows each as an instruction, never a score. */
export const CHALLENGE_ACTIONS = ['blink', 'turn_left', 'turn_right', 'nod', 'open_mouth'] as const;
export type ChallengeAction = (typeof CHALLENGE_ACTIONS)[number];

export const DataChannelMessageSchema = z.discriminatedUnion('t', [
  z.object({ t: z.literal('guidance'), id: z.number().int().nonnegative(), key: z.enum(GUIDANCE_KEYS) }).strict(),
  z.object({ t: z.literal('guidance.clear') }).strict(),
  z.object({ t: z.literal('guidance.ack'), id: z.number().int().nonnegative() }).strict(),
  /** One step of the active challenge: what to do, which step of how many, and the time allowed. */
  z
    .object({
      t: z.literal('challenge'),
      id: z.number().int().nonnegative(),
      action: z.enum(CHALLENGE_ACTIONS),
      step: z.number().int().min(1).max(5),
      of: z.number().int().min(1).max(5),
      seconds: z.number().int().min(1).max(60),
    })
    .strict(),
  z.object({ t: z.literal('challenge.clear') }).strict(),
  /** The spoken code: the customer reads these digits aloud (a pre-recorded or injected video cannot). */
  z.object({ t: z.literal('code'), digits: z.string().regex(/^\d{4}$/) }).strict(),
  z.object({ t: z.literal('code.clear') }).strict(),
]);
export type DataChannelMessage = z.infer<typeof DataChannelMessageSchema>;

/** Camera labels of well-known virtual cameras and injection tools (lower-case substrings). */
export const VIRTUAL_CAMERA_MARKERS = [
  'obs virtual',
  'obs-camera',
  'manycam',
  'xsplit',
  'splitcam',
  'snap camera',
  'droidcam',
  'epoccam',
  'iriun',
  'camtwist',
  'youcam',
  'mmhmm',
  'virtual',
  'v4l2loopback',
  'dummy video',
  'e2esoft',
  'vcam',
] as const;

/** The marker a camera label matches, or null. */
export function virtualCameraMarker(label: string): string | null {
  const lower = label.toLowerCase();
  return VIRTUAL_CAMERA_MARKERS.find((m) => lower.includes(m)) ?? null;
}

/** The TURN REST scheme's username: `<expiry seconds>:<room>`. */
export const turnUsername = (expiresAtMs: number, roomId: string): string => `${Math.floor(expiresAtMs / 1000)}:${roomId}`;
