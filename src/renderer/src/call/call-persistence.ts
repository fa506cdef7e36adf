/**
 * What the renderer needs to pick a call up again after a page reload (main keeps the call; the
 * RTCPeerConnection died with the page): the frame-channel stream id and the last peer generation,
 * so the next peer is gen + 1 and the customer page answers it. sessionStorage, never the join URL
 * (it carries the customer's token).
 */

const KEY = 'veridesk.call';

export interface PersistedCall {
  callId: string;
  caseId: string;
  roomId: string;
  streamId: string;
  joinExpiresAt: number;
  gen: number;
  callStartedAt: number;
}

export function saveCall(call: PersistedCall): void {
  try {
    sessionStorage.setItem(KEY, JSON.stringify(call));
  } catch {
    /* storage unavailable: a reload then cannot resume the media, the call itself is in main */
  }
}

export function loadCall(callId: string): PersistedCall | null {
  try {
    const value = JSON.parse(sessionStorage.getItem(KEY) ?? 'null') as Partial<PersistedCall> | null;
    if (!value || value.callId !== callId || typeof value.streamId !== 'string' || typeof value.gen !== 'number') return null;
    return value as PersistedCall;
  } catch {
    return null;
  }
}

export function clearCall(): void {
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    /* nothing to clear */
  }
}
