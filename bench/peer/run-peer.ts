/**
 * Runs the peer benchmark (bench/peer/human.ts) in a child process, so that Human's tfjs/WASM heap and threads never
 * share a process with the engine being measured, and returns its one JSON line.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PeerRun {
  frames: number;
  /** Frames on which Human returned at least one face with mesh points. */
  framesWithFace: number;
  /** Mesh points of the last face found (468 for facemesh without iris). */
  meshPoints: number;
  seconds: number;
  fps: number;
  msPerFrame: { median: number; p95: number };
  /** Frames Human judged similar enough to the previous one to reuse cached detector boxes (performance.cachedFrames). */
  skipAllowedFrames: number;
  /** tfjs tensors alive after the run minus before it. */
  tensorLeak: number;
}

export interface PeerResult {
  peer: 'human';
  /** @vladmandic/human version. */
  version: string;
  backend: string;
  threads: number;
  simd: boolean;
  multithread: boolean;
  wasmBinary: string;
  tfjs: { core: string; converter: string; backendWasm: string };
  node: string;
  cpuModel: string;
  cpus: number;
  loadAverageAtStart: number;
  video: string;
  warmup: number;
  /** The run with Human's default caching (same numbers as `cached`). */
  frames: number;
  framesWithFace: number;
  seconds: number;
  fps: number;
  msPerFrame: { median: number; p95: number };
  /** Peak-ish RSS (max of after each run), MB. */
  rssMb: number;
  /** Of rssMb: the decoded frames held as int32 RGB tensors in the WASM heap. */
  frameTensorsMb: number;
  /** Human's caching settings in force for the default run. */
  config: { skipFrames: number; skipTime: number; cacheSensitivity: number };
  cached: PeerRun;
  /** Caching off (cacheSensitivity 0, skipFrames 0, skipTime 0): full detection + mesh every frame. */
  fpsNoCache?: number;
  noCache?: PeerRun;
}

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');

export interface PeerOptions {
  frames: number;
  video: string;
  warmup?: number;
  /** Skip the caching-off run (halves the time). */
  cacheOnly?: boolean;
  /** Kill the child after this long (default: 10 min + 0.2 s per frame). */
  timeoutMs?: number;
}

export async function runPeerInChild(opts: PeerOptions): Promise<PeerResult> {
  const tsxCli = createRequire(import.meta.url).resolve('tsx/cli');
  const script = resolve(here, 'human.ts');
  const args = [tsxCli, script, '--json', '--frames', String(opts.frames), '--video', resolve(opts.video)];
  if (opts.warmup !== undefined) args.push('--warmup', String(opts.warmup));
  if (opts.cacheOnly) args.push('--cache-only');
  const timeoutMs = opts.timeoutMs ?? 600_000 + opts.frames * 200;
  const child = spawn(process.execPath, args, { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    if (stderr.length > 64_000) stderr = stderr.slice(-32_000);
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done, fail) => {
    child.on('error', fail);
    child.on('close', (c, s) => done({ code: c, signal: s }));
  }).finally(() => clearTimeout(timer));
  const tail = stderr.trim().split('\n').slice(-15).join('\n');
  const command = `${process.execPath} ${args.map((a) => (a.includes(' ') ? JSON.stringify(a) : a)).join(' ')}`;
  if (timedOut) throw new Error(`peer benchmark timed out after ${Math.round(timeoutMs / 1000)} s: ${command}\n${tail}`);
  if (code !== 0) throw new Error(`peer benchmark failed (${signal ? `signal ${signal}` : `exit ${code}`}): ${command}\n${tail}`);
  const lines = stdout.trim().split('\n').filter((l) => l.trim() !== '');
  if (lines.length !== 1) throw new Error(`peer benchmark printed ${lines.length} lines on stdout, expected one JSON line: ${command}\n${stdout.slice(0, 2000)}`);
  let result: PeerResult;
  try {
    result = JSON.parse(lines[0]!) as PeerResult;
  } catch {
    throw new Error(`peer benchmark printed no JSON: ${lines[0]!.slice(0, 500)}`);
  }
  if (result.peer !== 'human' || typeof result.fps !== 'number') throw new Error(`peer benchmark printed an unexpected result: ${lines[0]!.slice(0, 500)}`);
  return result;
}
