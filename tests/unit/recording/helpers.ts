import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Decoder, type EBMLElementDetail } from 'ts-ebml';
import { StaticKeyProvider } from '../../../src/main/caselog/key-provider';
import { CaseStore } from '../../../src/main/caselog/store';

export const MASTER_KEY = Buffer.alloc(32, 11);
export const keyProvider = () => new StaticKeyProvider(MASTER_KEY);

const has = (bin: string) => spawnSync(bin, ['-version'], { stdio: 'ignore' }).status === 0;
/** Why the media tests cannot run here, or null. */
export const mediaSkipReason: string | null = has('ffmpeg') && has('ffprobe') ? null : 'ffmpeg/ffprobe not installed: the recording media tests need them to make and check real WebM';
/** A suite title that says why it is skipped, when it is. */
export const mediaTitle = (title: string) => (mediaSkipReason ? `${title} (skipped: ${mediaSkipReason})` : title);

export interface TestMedia {
  webm: Buffer;
  seconds: number;
}

/**
 * A live WebM like MediaRecorder's (Segment of unknown size, no Duration, no Cues): VP8 + Opus,
 * a key frame every second so a seek lands on one.
 */
export function makeLiveWebm(seconds = 4): TestMedia {
  const webm = execFileSync(
    'ffmpeg',
    [
      '-v', 'error',
      '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=15',
      '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
      '-t', String(seconds),
      '-c:v', 'libvpx', '-g', '15', '-b:v', '300k', '-deadline', 'realtime', '-cpu-used', '8',
      '-c:a', 'libopus',
      '-f', 'webm', '-live', '1', '-',
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  return { webm, seconds };
}

/**
 * Chrome's MediaRecorder writes every Cluster with an unknown size (it streams them); ffmpeg's live mode
 * still sizes them. Rewrites each Cluster header to the unknown size, as Chrome would have written it.
 */
export function withUnknownSizeClusters(media: TestMedia): TestMedia {
  const CLUSTER = Buffer.from('1f43b675', 'hex');
  const UNKNOWN = Buffer.from('01ffffffffffffff', 'hex');
  const webm = media.webm;
  let at = webm.indexOf(CLUSTER);
  const parts: Buffer[] = [webm.subarray(0, at)];
  while (at >= 0 && at < webm.length) {
    if (!webm.subarray(at, at + 4).equals(CLUSTER)) throw new Error(`expected a Cluster at ${at}`);
    const first = webm[at + 4]!;
    const width = Math.clz32(first) - 23;
    let size = first & (0xff >> width);
    for (let i = 1; i < width; i++) size = size * 256 + webm[at + 4 + i]!;
    const body = at + 4 + width;
    parts.push(CLUSTER, UNKNOWN, webm.subarray(body, body + size));
    at = body + size;
  }
  return { webm: Buffer.concat(parts), seconds: media.seconds };
}

/** Byte chunks of about `perSecond`-th of a second each: MediaRecorder's timeslice cuts bytes, not frames. */
export function splitChunks(media: TestMedia, perSecond = 1): Buffer[] {
  const n = Math.max(1, Math.round(media.seconds * perSecond));
  const size = Math.ceil(media.webm.length / n);
  const out: Buffer[] = [];
  for (let i = 0; i < media.webm.length; i += size) out.push(media.webm.subarray(i, i + size));
  return out;
}

export interface Probe {
  /** format.duration: present only when the container says it (seekable WebM). */
  formatDuration: number | null;
  /** End of the last decoded packet (pts + duration), seconds. */
  lastPacketEnd: number;
  packets: number;
  /** ffmpeg's decode errors (empty for a clean decode). */
  decodeErrors: string;
}

export function probe(webm: Buffer, dir: string): Probe {
  const file = join(dir, `probe-${process.pid}-${Math.random().toString(36).slice(2)}.webm`);
  writeFileSync(file, webm);
  try {
    const json = JSON.parse(
      execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration:packet=pts_time,duration_time', '-of', 'json', file], { maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] }).toString(),
    ) as { format?: { duration?: string }; packets?: { pts_time?: string; duration_time?: string }[] };
    const packets = json.packets ?? [];
    const lastPacketEnd = packets.reduce((m, p) => Math.max(m, Number(p.pts_time ?? 0) + Number(p.duration_time ?? 0)), 0);
    const decode = spawnSync('ffmpeg', ['-v', 'error', '-i', file, '-f', 'null', '-'], { encoding: 'utf8' });
    return {
      formatDuration: json.format?.duration !== undefined ? Number(json.format.duration) : null,
      lastPacketEnd,
      packets: packets.length,
      decodeErrors: decode.status === 0 ? decode.stderr.trim() : `exit ${decode.status}: ${decode.stderr}`,
    };
  } finally {
    rmSync(file, { force: true });
  }
}

/** Decodes a whole WebM with ts-ebml: its top-level layout and the cue points, each checked to land on a Cluster. */
export function ebmlLayout(webm: Buffer): { names: string[]; cuePoints: number; cuesOnClusters: boolean; hasDuration: boolean } {
  const elements: EBMLElementDetail[] = new Decoder().decode(webm as unknown as ArrayBuffer);
  const segment = elements.find((e) => e.name === 'Segment');
  const positions = elements.filter((e) => e.name === 'CueClusterPosition').map((e) => (e as { value: number }).value);
  const clusterStarts = new Set(elements.filter((e) => e.name === 'Cluster' && e.type === 'm' && !e.isEnd).map((e) => e.tagStart));
  return {
    names: elements.filter((e) => e.level === 1 && !(e.type === 'm' && e.isEnd)).map((e) => e.name),
    cuePoints: elements.filter((e) => e.name === 'CuePoint' && e.type === 'm' && !e.isEnd).length,
    cuesOnClusters: !!segment && positions.length > 0 && positions.every((p) => clusterStarts.has(segment.dataStart + p)),
    hasDuration: elements.some((e) => e.name === 'Duration'),
  };
}

export function tempDir(prefix = 'vd-rec-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function openStore(dir: string, now?: () => number): CaseStore {
  return CaseStore.open({ path: join(dir, 'cases.db'), keyProvider: keyProvider(), now });
}

export const openCase = (store: CaseStore) => store.openCase({ agentId: 'agent-7', serviceType: 'transact' }).caseId;
