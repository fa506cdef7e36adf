/**
 * Connection quality from RTCPeerConnection.getStats(): the customer's inbound video (bitrate, fps,
 * packet loss) and the selected candidate pair (RTT, relay or direct). Pure summarising plus a
 * one-second poller, so the arithmetic is unit-tested without a browser.
 */

export type MediaPath = 'relay' | 'direct' | 'unknown';

export interface ConnectionStats {
  path: MediaPath;
  /** Inbound video bitrate over the last interval, kbit/s. */
  kbps: number | null;
  fps: number | null;
  /** Inbound video packets lost over the last interval, percent. */
  lossPct: number | null;
  /** Current round-trip time of the selected candidate pair, ms. */
  rttMs: number | null;
  localCandidateType: string | null;
  remoteCandidateType: string | null;
}

/** The counters of the previous sample, for per-interval rates. */
export interface StatsCursor {
  timestamp: number;
  bytesReceived: number;
  packetsReceived: number;
  packetsLost: number;
  framesDecoded: number;
}

type Stat = Record<string, unknown> & { id?: string; type?: string };
/** What RTCStatsReport offers (a Map in tests). */
export interface StatsSource {
  get(id: string): unknown;
  values(): IterableIterator<unknown>;
}

const num = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);
const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);

function selectedPair(report: StatsSource, all: Stat[]): Stat | null {
  for (const stat of all) {
    if (stat.type !== 'transport') continue;
    const id = str(stat.selectedCandidatePairId);
    const pair = id ? (report.get(id) as Stat | undefined) : undefined;
    if (pair) return pair;
  }
  // Firefox marks the pair itself; otherwise take the nominated, succeeded pair
  const pairs = all.filter((s) => s.type === 'candidate-pair');
  return pairs.find((p) => p.selected === true) ?? pairs.find((p) => p.nominated === true && p.state === 'succeeded') ?? null;
}

export function pathOf(localType: string | null, remoteType: string | null): MediaPath {
  if (localType === 'relay' || remoteType === 'relay') return 'relay';
  if (localType && remoteType) return 'direct';
  return 'unknown';
}

export function summariseStats(report: StatsSource, previous: StatsCursor | null): { stats: ConnectionStats; cursor: StatsCursor | null } {
  const all = [...report.values()] as Stat[];
  const pair = selectedPair(report, all);
  const local = pair && str(pair.localCandidateId) ? (report.get(str(pair.localCandidateId)!) as Stat | undefined) : undefined;
  const remote = pair && str(pair.remoteCandidateId) ? (report.get(str(pair.remoteCandidateId)!) as Stat | undefined) : undefined;
  const localCandidateType = str(local?.candidateType);
  const remoteCandidateType = str(remote?.candidateType);
  const pairRtt = num(pair?.currentRoundTripTime);

  // the customer's video: the inbound video stream carrying the most bytes
  const video = all
    .filter((s) => s.type === 'inbound-rtp' && (s.kind === 'video' || s.mediaType === 'video'))
    .sort((a, b) => (num(b.bytesReceived) ?? 0) - (num(a.bytesReceived) ?? 0))[0];

  const stats: ConnectionStats = {
    path: pathOf(localCandidateType, remoteCandidateType),
    kbps: null,
    fps: null,
    lossPct: null,
    rttMs: pairRtt === null ? null : Math.round(pairRtt * 1000),
    localCandidateType,
    remoteCandidateType,
  };
  if (!video) return { stats, cursor: null };

  const cursor: StatsCursor = {
    timestamp: num(video.timestamp) ?? 0,
    bytesReceived: num(video.bytesReceived) ?? 0,
    packetsReceived: num(video.packetsReceived) ?? 0,
    packetsLost: Math.max(0, num(video.packetsLost) ?? 0),
    framesDecoded: num(video.framesDecoded) ?? 0,
  };
  // a new peer generation restarts the counters: treat a decrease as "no previous sample"
  const usable = previous && cursor.timestamp > previous.timestamp && cursor.bytesReceived >= previous.bytesReceived && cursor.packetsReceived >= previous.packetsReceived;
  const base = usable ? previous : null;
  const dtMs = base ? cursor.timestamp - base.timestamp : 0;

  if (base && dtMs > 0) {
    stats.kbps = Math.round(((cursor.bytesReceived - base.bytesReceived) * 8) / dtMs);
    const lost = Math.max(0, cursor.packetsLost - base.packetsLost);
    const received = cursor.packetsReceived - base.packetsReceived;
    stats.lossPct = lost + received > 0 ? round1((lost * 100) / (lost + received)) : 0;
  } else {
    const total = cursor.packetsLost + cursor.packetsReceived;
    stats.lossPct = total > 0 ? round1((cursor.packetsLost * 100) / total) : null;
  }
  const reportedFps = num(video.framesPerSecond);
  stats.fps = reportedFps !== null ? Math.round(reportedFps) : base && dtMs > 0 ? Math.round(((cursor.framesDecoded - base.framesDecoded) * 1000) / dtMs) : null;
  return { stats, cursor };
}

const round1 = (value: number) => Math.round(value * 10) / 10;

export const STATS_INTERVAL_MS = 1_000;

/** Samples the connection every second until stopped; never overlaps two getStats() calls. */
export function startStatsPoller(pc: RTCPeerConnection, onStats: (stats: ConnectionStats) => void): () => void {
  let cursor: StatsCursor | null = null;
  let busy = false;
  let stopped = false;
  const sample = () => {
    if (busy || stopped || pc.connectionState === 'closed') return;
    busy = true;
    pc.getStats()
      .then((report) => {
        if (stopped) return;
        const result = summariseStats(report, cursor);
        cursor = result.cursor;
        onStats(result.stats);
      })
      .catch(() => undefined)
      .finally(() => (busy = false));
  };
  const timer = setInterval(sample, STATS_INTERVAL_MS);
  sample();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}

/** The media path right now (for the connected/recovered case events). */
export async function currentPath(pc: RTCPeerConnection | null): Promise<'relay' | 'direct' | undefined> {
  if (!pc) return undefined;
  try {
    const path = summariseStats(await pc.getStats(), null).stats.path;
    return path === 'unknown' ? undefined : path;
  } catch {
    return undefined;
  }
}
