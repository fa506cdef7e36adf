import { describe, expect, it } from 'vitest';
import { closedReasonKey, derivePhase, type PhaseInputs } from './call-phase';

const inputs = (patch: Partial<PhaseInputs>): PhaseInputs => ({
  hasCall: true,
  ended: false,
  mediaConnected: false,
  iceDisconnected: false,
  everConnected: false,
  customerPresent: false,
  ...patch,
});

describe('derivePhase', () => {
  it.each<[string, Partial<PhaseInputs>, string]>([
    ['no call', { hasCall: false }, 'idle'],
    ['room created, nobody there', {}, 'waiting'],
    ['customer there, first peer negotiating', { customerPresent: true }, 'connecting'],
    ['media up', { customerPresent: true, mediaConnected: true, everConnected: true }, 'connected'],
    ['media up, customer signaling dropped', { mediaConnected: true, everConnected: true }, 'connected'],
    ['ICE disconnected within the grace period', { customerPresent: true, mediaConnected: true, iceDisconnected: true, everConnected: true }, 'reconnecting'],
    ['peer being rebuilt', { customerPresent: true, everConnected: true }, 'reconnecting'],
    ['customer gone after a connection', { everConnected: true }, 'reconnecting'],
    ['closed', { ended: true, mediaConnected: true }, 'ended'],
  ])('%s → %s', (_what, patch, phase) => {
    expect(derivePhase(inputs(patch))).toBe(phase);
  });
});

describe('closedReasonKey', () => {
  it('maps main’s reasons to the ended screen’s keys', () => {
    expect(closedReasonKey('ended')).toBe('agent');
    expect(closedReasonKey(null)).toBe('agent');
    expect(closedReasonKey('expired')).toBe('expired');
    expect(closedReasonKey('ROOM_EXPIRED')).toBe('expired');
    expect(closedReasonKey('ROOM_NOT_FOUND')).toBe('roomGone');
    expect(closedReasonKey('UNAUTHENTICATED')).toBe('refused');
    expect(closedReasonKey('REPLACED')).toBe('replaced');
    expect(closedReasonKey('INTERNAL')).toBe('INTERNAL');
  });
});
