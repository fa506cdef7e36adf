import { describe, expect, it } from 'vitest';
import { pathOf, summariseStats, type StatsCursor } from './connection-stats';

const report = (entries: Record<string, unknown>[]) => new Map(entries.map((e) => [e.id as string, e]));

const base = (overrides: { bytes: number; packets: number; lost: number; frames: number; ts: number; fps?: number; local?: string; remote?: string }) =>
  report([
    { id: 'T1', type: 'transport', selectedCandidatePairId: 'P1' },
    { id: 'P1', type: 'candidate-pair', localCandidateId: 'L1', remoteCandidateId: 'R1', currentRoundTripTime: 0.0423, state: 'succeeded', nominated: true },
    { id: 'P2', type: 'candidate-pair', localCandidateId: 'L2', remoteCandidateId: 'R1', currentRoundTripTime: 0.9 },
    { id: 'L1', type: 'local-candidate', candidateType: overrides.local ?? 'host' },
    { id: 'L2', type: 'local-candidate', candidateType: 'relay' },
    { id: 'R1', type: 'remote-candidate', candidateType: overrides.remote ?? 'srflx' },
    { id: 'A1', type: 'inbound-rtp', kind: 'audio', bytesReceived: 999_999, packetsReceived: 10, packetsLost: 0, timestamp: overrides.ts },
    {
      id: 'V1',
      type: 'inbound-rtp',
      kind: 'video',
      bytesReceived: overrides.bytes,
      packetsReceived: overrides.packets,
      packetsLost: overrides.lost,
      framesDecoded: overrides.frames,
      timestamp: overrides.ts,
      ...(overrides.fps !== undefined && { framesPerSecond: overrides.fps }),
    },
  ]);

describe('summariseStats', () => {
  it('reads the selected pair (RTT, candidate types) and, without a previous sample, cumulative loss', () => {
    const { stats, cursor } = summariseStats(base({ bytes: 100_000, packets: 990, lost: 10, frames: 50, ts: 1_000 }), null);
    expect(stats).toMatchObject({ path: 'direct', rttMs: 42, localCandidateType: 'host', remoteCandidateType: 'srflx', kbps: null, lossPct: 1 });
    expect(cursor).toEqual({ timestamp: 1_000, bytesReceived: 100_000, packetsReceived: 990, packetsLost: 10, framesDecoded: 50 });
  });

  it('computes per-interval bitrate, loss and fps from the previous sample', () => {
    const previous: StatsCursor = { timestamp: 1_000, bytesReceived: 100_000, packetsReceived: 990, packetsLost: 10, framesDecoded: 50 };
    const { stats } = summariseStats(base({ bytes: 225_000, packets: 1_086, lost: 14, frames: 80, ts: 2_000 }), previous);
    expect(stats.kbps).toBe(1_000); // 125 000 bytes in 1 s
    expect(stats.lossPct).toBe(4); // 4 lost of 100
    expect(stats.fps).toBe(30);
  });

  it('prefers the browser-reported framesPerSecond', () => {
    expect(summariseStats(base({ bytes: 1, packets: 1, lost: 0, frames: 1, ts: 1, fps: 24.6 }), null).stats.fps).toBe(25);
  });

  it('treats counters that went backwards (a new peer generation) as a first sample', () => {
    const previous: StatsCursor = { timestamp: 1_000, bytesReceived: 5_000_000, packetsReceived: 9_000, packetsLost: 0, framesDecoded: 900 };
    const { stats } = summariseStats(base({ bytes: 10_000, packets: 10, lost: 0, frames: 1, ts: 2_000 }), previous);
    expect(stats.kbps).toBeNull();
    expect(stats.lossPct).toBe(0);
  });

  it('says relay when either side of the selected pair is a relay candidate', () => {
    expect(summariseStats(base({ bytes: 1, packets: 1, lost: 0, frames: 1, ts: 1, local: 'relay' }), null).stats.path).toBe('relay');
    expect(pathOf('host', 'relay')).toBe('relay');
    expect(pathOf('host', null)).toBe('unknown');
  });

  it('falls back to the nominated succeeded pair without a transport stat, and copes with no video yet', () => {
    const r = report([
      { id: 'P1', type: 'candidate-pair', localCandidateId: 'L1', remoteCandidateId: 'R1', nominated: true, state: 'succeeded', currentRoundTripTime: 0.001 },
      { id: 'L1', type: 'local-candidate', candidateType: 'host' },
      { id: 'R1', type: 'remote-candidate', candidateType: 'host' },
    ]);
    const { stats, cursor } = summariseStats(r, null);
    expect(stats).toMatchObject({ path: 'direct', rttMs: 1, kbps: null, fps: null, lossPct: null });
    expect(cursor).toBeNull();
  });
});
