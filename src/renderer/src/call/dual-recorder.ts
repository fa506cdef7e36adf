/**
 * 双轨录制: the customer's remote stream and the agent's camera + microphone, recorded only while
 * the customer has consented to recording and media is connected. Segments started together share
 * one `startedAt` (Date.now() taken once) and their MediaRecorders start back to back after main
 * has registered both, so the two tracks line up on replay.
 *
 * Operations run one after another (a queue), so a consent change, a new peer and the end of the
 * call never interleave their starts and stops.
 */
import type { VeriDeskApi } from '../../../shared/contract';
import type { RecordingStatus, RecordingTrack } from '../../../shared/call';
import { TrackRecorder, type PreparedSegment } from './recording-track';

export interface RecordingInputs {
  consent: boolean | null;
  connected: boolean;
  remote: MediaStream | null;
  /** The agent's stream to record (camera + microphone), built when a segment starts. */
  agent: () => MediaStream | null;
}

export interface DualRecorderDeps {
  api: VeriDeskApi;
  callId: string;
  onStatus(status: RecordingStatus): void;
  onFailure(track: RecordingTrack, recordingId: string | null, code: string): void;
}

const hasTracks = (stream: MediaStream | null): stream is MediaStream => !!stream && stream.getTracks().some((t) => t.readyState === 'live');

export class DualRecorder {
  private readonly customer: TrackRecorder;
  private readonly agent: TrackRecorder;
  private queue: Promise<void> = Promise.resolve();

  constructor(deps: DualRecorderDeps) {
    const make = (track: RecordingTrack) =>
      new TrackRecorder({
        api: deps.api,
        callId: deps.callId,
        track,
        onStatus: deps.onStatus,
        onFailure: (recordingId, code) => deps.onFailure(track, recordingId, code),
      });
    this.customer = make('customer');
    this.agent = make('agent');
  }

  private enqueue(operation: () => Promise<void>): Promise<void> {
    this.queue = this.queue.then(operation).catch((error: unknown) => console.warn('recording operation failed', error instanceof Error ? error.name : error));
    return this.queue;
  }

  /** Starts whatever should record and does not; stops everything when consent is missing or withdrawn. */
  sync(inputs: RecordingInputs): Promise<void> {
    return this.enqueue(async () => {
      if (inputs.consent !== true) {
        await Promise.all([this.customer.stop(), this.agent.stop()]);
        return;
      }
      if (!inputs.connected || !hasTracks(inputs.remote)) return;
      const startedAt = Date.now();
      const agentStream = this.agent.canStart ? inputs.agent() : null;
      const prepared = await Promise.all([
        this.customer.canStart ? this.customer.prepare(inputs.remote, startedAt) : null,
        hasTracks(agentStream) ? this.agent.prepare(agentStream, startedAt) : null,
      ]);
      prepared.forEach((segment: PreparedSegment | null) => segment?.begin());
    });
  }

  /** The peer generation ended: its remote stream is gone, so the customer segment ends with it. */
  stopCustomer(): Promise<void> {
    return this.enqueue(() => this.customer.stop());
  }

  /** The agent's camera was replaced: a MediaRecorder cannot change tracks, so a new agent segment starts. */
  restartAgent(stream: MediaStream | null): Promise<void> {
    return this.enqueue(async () => {
      if (!this.agent.recording) return;
      await this.agent.stop();
      if (hasTracks(stream)) (await this.agent.prepare(stream, Date.now()))?.begin();
    });
  }

  /** The page is being unloaded (reload, window closed): close both recordings in main, best effort. */
  abandon(): void {
    this.customer.abandon();
    this.agent.abandon();
  }

  /** Stops both tracks and resolves once their last chunks are written (before call.end). */
  stopAll(): Promise<void> {
    return this.enqueue(async () => {
      await Promise.all([this.customer.stop(), this.agent.stop()]);
    });
  }
}
