/** The one word the workspace (and the end-to-end tests, through data-state) shows for a call. */

export const CALL_PHASES = ['idle', 'waiting', 'connecting', 'connected', 'reconnecting', 'ended'] as const;
export type CallPhase = (typeof CALL_PHASES)[number];

export interface PhaseInputs {
  hasCall: boolean;
  ended: boolean;
  /** The current peer generation's data channel is open. */
  mediaConnected: boolean;
  /** ICE says disconnected (within the grace period before the peer is rebuilt). */
  iceDisconnected: boolean;
  /** Media has connected at least once in this call (so a loss is a reconnect, not a first connect). */
  everConnected: boolean;
  customerPresent: boolean;
}

export function derivePhase(i: PhaseInputs): CallPhase {
  if (i.ended) return 'ended';
  if (!i.hasCall) return 'idle';
  if (i.mediaConnected && !i.iceDisconnected) return 'connected';
  if (i.everConnected) return 'reconnecting';
  return i.customerPresent ? 'connecting' : 'waiting';
}

/** i18n key (under call.ended.reasons) for CallState.closedReason: who or what ended the call. */
export function closedReasonKey(reason: string | null): string {
  switch (reason) {
    case null:
    case '':
    case 'ended':
    case 'agent':
    case 'agent_ended':
    case 'completed':
      return 'agent';
    case 'expired':
    case 'ROOM_EXPIRED':
      return 'expired';
    case 'closed':
    case 'ROOM_CLOSED':
    case 'ROOM_NOT_FOUND':
      return 'roomGone';
    case 'UNAUTHENTICATED':
    case 'FORBIDDEN':
      return 'refused';
    case 'REPLACED':
      return 'replaced';
    default:
      return reason;
  }
}
