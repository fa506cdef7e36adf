/**
 * Live video session: what renderer and main say about a call and its recordings (DESIGN.md §2, §8).
 * Main holds the backend token and the signaling socket; the renderer holds the RTCPeerConnection
 * (simple-peer) and the MediaRecorders, and talks to main only through these schemas.
 */
import { z } from 'zod';
import { SERVICE_TYPES } from './cases';
import { CustomerAppMessageSchema, IceServerSchema, PeerGenerationSchema, SignalDataSchema } from './signaling';
import { FaceSchema } from './engine';

export const CallIdSchema = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/);

export const CallStartSchema = z.object({ serviceType: z.enum(SERVICE_TYPES).optional(), customerRef: z.string().max(64).optional() }).strict();

export const CallInfoSchema = z.object({
  callId: z.string(),
  caseId: z.string(),
  roomId: z.string(),
  joinUrl: z.string(),
  joinExpiresAt: z.number(),
  /** Frame-channel stream id of the customer's video in this call (released when the call ends). */
  streamId: z.string(),
});
export type CallInfo = z.infer<typeof CallInfoSchema>;

export const SIGNALING_STATES = ['connecting', 'connected', 'reconnecting', 'closed'] as const;
export type SignalingState = (typeof SIGNALING_STATES)[number];

export const CallStateSchema = z.object({
  callId: z.string(),
  caseId: z.string(),
  roomId: z.string(),
  signaling: z.enum(SIGNALING_STATES),
  customerPresent: z.boolean(),
  iceServers: z.array(IceServerSchema),
  iceTransportPolicy: z.enum(['all', 'relay']),
  /** Consents the customer gave on the join page (null = not answered yet). */
  consent: z.object({ camera: z.boolean().nullable(), recording: z.boolean().nullable() }),
  /** The customer's last device report (also after a workstation reload): camera label and virtual-camera marker. */
  device: z
    .object({ videoLabel: z.string(), audioLabel: z.string(), virtualCamera: z.string().nullable(), platform: z.enum(['phone', 'pc']).optional(), at: z.number() })
    .nullable(),
  /** Why the call closed: the agent ended it, the room expired, or the backend refused it (error code). */
  closedReason: z.string().optional(),
});
export type CallState = z.infer<typeof CallStateSchema>;

export const CallSignalSchema = z.object({ callId: CallIdSchema, gen: PeerGenerationSchema, data: SignalDataSchema }).strict();
export type CallSignal = z.infer<typeof CallSignalSchema>;

export const CallCustomerMessageSchema = z.object({
  callId: z.string(),
  message: CustomerAppMessageSchema,
  /** For a device report: the virtual-camera marker its label matched, or null. */
  virtualCamera: z.string().nullable(),
  at: z.number(),
});
export type CallCustomerMessage = z.infer<typeof CallCustomerMessageSchema>;

/** What the renderer reports about the media path; each becomes a case event. */
export const MEDIA_EVENTS = ['connected', 'reconnecting', 'recovered', 'failed', 'customer_video_lost', 'agent_camera_lost', 'guidance_pushed'] as const;
export const CallMediaEventSchema = z
  .object({
    callId: CallIdSchema,
    event: z.enum(MEDIA_EVENTS),
    gen: PeerGenerationSchema.optional(),
    /** relay or direct, when known. */
    path: z.enum(['relay', 'direct']).optional(),
    /** A guidance key for guidance_pushed. */
    key: z.string().max(64).optional(),
  })
  .strict();
export type CallMediaEvent = z.infer<typeof CallMediaEventSchema>;

// ---- recordings ------------------------------------------------------------------------------------------

export const RECORDING_TRACKS = ['customer', 'agent'] as const;
export type RecordingTrack = (typeof RECORDING_TRACKS)[number];

/** Largest recording chunk, raw bytes (base64 in the request stays under MAX_REQUEST_BYTES). */
export const MAX_RECORDING_CHUNK_BYTES = 640 * 1024;

export const RecordingStartSchema = z
  .object({
    callId: CallIdSchema,
    track: z.enum(RECORDING_TRACKS),
    mimeType: z.string().regex(/^video\/webm(;.{0,80})?$/),
    /** The shared start of both tracks (epoch ms), so they can be aligned on replay. */
    startedAt: z.number().int().nonnegative(),
  })
  .strict();

export const RecordingIdSchema = z.string().regex(/^[0-9a-f-]{36}$/);

export const RecordingChunkSchema = z
  .object({
    recordingId: RecordingIdSchema,
    seq: z.number().int().min(0).max(10_000_000),
    /** base64 of the chunk's bytes. */
    data: z.string().max(Math.ceil(MAX_RECORDING_CHUNK_BYTES / 3) * 4).regex(/^[A-Za-z0-9+/]*={0,2}$/),
  })
  .strict();

export const RecordingStopSchema = z.object({ recordingId: RecordingIdSchema }).strict();

export const RECORDING_STATES = ['recording', 'stopped', 'failed'] as const;
export const RecordingStatusSchema = z.object({
  recordingId: z.string(),
  callId: z.string(),
  caseId: z.string(),
  track: z.enum(RECORDING_TRACKS),
  state: z.enum(RECORDING_STATES),
  chunks: z.number().int(),
  bytes: z.number().int(),
  /** Set when state is 'failed': DISK_FULL, IO_ERROR … */
  errorCode: z.string().optional(),
});
export type RecordingStatus = z.infer<typeof RecordingStatusSchema>;

// ---- engine results for the renderer's overlay ---------------------------------------------------------

/** A slim per-frame result for the UI: no embedding, landmarks included. */
export const LiveAnalysisSchema = z.object({
  streamId: z.string(),
  capturedAt: z.number(),
  /** When main received the result from the engine (epoch ms), for the latency benchmark. */
  analysedAt: z.number(),
  width: z.number().int(),
  height: z.number().int(),
  faceCount: z.number().int(),
  primary: FaceSchema.nullable(),
});
export type LiveAnalysis = z.infer<typeof LiveAnalysisSchema>;
