/**
 * The `recording.*` handlers: the renderer's MediaRecorders stream chunks here and the recording
 * service writes them encrypted (src/main/recording). This module only decides whether a recording
 * may start: the call must be the active one and its customer's recording consent must already be
 * in the case log (DESIGN.md §8, contract: "Refused with FORBIDDEN until the customer's recording
 * consent is logged").
 */
import { MAX_RECORDING_CHUNK_BYTES, type RecordingStatus, type RecordingTrack } from '../../shared/call';
import { AppFailure } from '../../shared/errors';
import type { Logger } from '../log/logger';
import type { ActiveCallView } from './call-service';

/** The part of the recording service the gate drives. */
export interface RecordingWriter {
  start(input: { caseId: string; callId: string; track: RecordingTrack; mimeType: string; startedAt: number; actor: string }): Promise<RecordingStatus> | RecordingStatus;
  appendChunk(recordingId: string, seq: number, bytes: Buffer): Promise<RecordingStatus> | RecordingStatus;
  stop(recordingId: string): Promise<RecordingStatus> | RecordingStatus;
}

export interface RecordingGateOptions {
  recordings: RecordingWriter;
  activeCall: () => ActiveCallView | null;
  agentId: () => string;
  log: Logger;
}

export class RecordingGate {
  private readonly log: Logger;

  constructor(private readonly options: RecordingGateOptions) {
    this.log = options.log.child({ component: 'recording-gate' });
  }

  async start(params: { callId: string; track: RecordingTrack; mimeType: string; startedAt: number }): Promise<RecordingStatus> {
    const call = this.options.activeCall();
    if (!call || call.callId !== params.callId || call.closed) throw new AppFailure('NOT_FOUND', `no active call ${params.callId}`);
    if (!call.recordingConsent) {
      this.log.warn({ callId: call.callId, caseId: call.caseId, track: params.track }, 'recording refused: the customer has not consented to recording');
      throw new AppFailure('FORBIDDEN', 'the customer has not consented to recording');
    }
    return this.options.recordings.start({
      caseId: call.caseId,
      callId: call.callId,
      track: params.track,
      mimeType: params.mimeType,
      startedAt: params.startedAt,
      actor: this.options.agentId(),
    });
  }

  async chunk(params: { recordingId: string; seq: number; data: string }): Promise<RecordingStatus> {
    // the contract's regex already limits the text to base64; decoding cannot fail, only be too long
    const bytes = Buffer.from(params.data, 'base64');
    if (bytes.length > MAX_RECORDING_CHUNK_BYTES) throw new AppFailure('PAYLOAD_TOO_LARGE', `a recording chunk is at most ${MAX_RECORDING_CHUNK_BYTES} bytes`);
    return this.options.recordings.appendChunk(params.recordingId, params.seq, bytes);
  }

  async stop(params: { recordingId: string }): Promise<RecordingStatus> {
    return this.options.recordings.stop(params.recordingId);
  }
}
