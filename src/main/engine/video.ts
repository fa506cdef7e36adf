/**
 * Video files for `analyze`: .y4m (YUV4MPEG2, 4:2:0) is read natively; anything else is piped through
 * `ffmpeg` (must be on PATH) as y4m, frame time = index / the stated rate (openVideo: meant for constant-rate files).
 * A video that arrives as a byte stream (openVideoStream, ffmpeg's stdin: a recording) is decoded frame for frame,
 * each with its own presentation time. Frames are streamed, never loaded whole.
 */
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { PassThrough, pipeline, type Readable } from 'node:stream';
import { AppFailure } from '../../shared/errors';

export interface VideoFrame {
  index: number;
  /** Seconds from the start. */
  time: number;
  width: number;
  height: number;
  rgba: Uint8Array;
}

export interface Y4mHeader {
  width: number;
  height: number;
  fps: number;
  colourspace: string;
}

export function parseY4mHeader(line: string): Y4mHeader {
  const parts = line.trim().split(' ');
  if (parts[0] !== 'YUV4MPEG2') throw new AppFailure('CORRUPT_INPUT', 'not a YUV4MPEG2 (.y4m) stream');
  let width = 0, height = 0, fps = 30, colourspace = '420';
  for (const p of parts.slice(1)) {
    const tag = p[0];
    const value = p.slice(1);
    if (tag === 'W') width = Number(value);
    else if (tag === 'H') height = Number(value);
    else if (tag === 'F') {
      const [n, d] = value.split(':').map(Number);
      if (n && d) fps = n / d;
    } else if (tag === 'C') colourspace = value;
  }
  if (!(width > 0 && height > 0 && width <= 8192 && height <= 8192)) throw new AppFailure('CORRUPT_INPUT', `invalid y4m frame size ${width}×${height}`);
  if (!colourspace.startsWith('420')) throw new AppFailure('CORRUPT_INPUT', `unsupported y4m colourspace C${colourspace} (need 4:2:0)`);
  return { width, height, fps, colourspace };
}

/** I420 (BT.601 limited range) → RGBA. */
export function i420ToRgba(y: Uint8Array, u: Uint8Array, v: Uint8Array, width: number, height: number): Uint8Array {
  const out = new Uint8ClampedArray(width * height * 4);
  const cw = (width + 1) >> 1;
  for (let row = 0; row < height; row++) {
    for (let col = 0; col < width; col++) {
      const Y = 1.164 * (y[row * width + col]! - 16);
      const ci = (row >> 1) * cw + (col >> 1);
      const U = u[ci]! - 128;
      const V = v[ci]! - 128;
      const o = (row * width + col) * 4;
      out[o] = Y + 1.596 * V;
      out[o + 1] = Y - 0.392 * U - 0.813 * V;
      out[o + 2] = Y + 2.017 * U;
      out[o + 3] = 255;
    }
  }
  return new Uint8Array(out.buffer);
}

/** Streams frames out of a y4m byte stream. */
export async function* readY4m(stream: Readable, maxFrames = Infinity): AsyncGenerator<VideoFrame & { fps: number }> {
  let buf: Buffer = Buffer.alloc(0);
  let header: Y4mHeader | null = null;
  let index = 0;
  for await (const chunk of stream) {
    buf = buf.length === 0 ? (chunk as Buffer) : Buffer.concat([buf, chunk as Buffer]);
    for (;;) {
      if (!header) {
        const nl = buf.indexOf(0x0a);
        if (nl < 0) {
          if (buf.length > 1024) throw new AppFailure('CORRUPT_INPUT', 'not a YUV4MPEG2 (.y4m) stream');
          break;
        }
        header = parseY4mHeader(buf.subarray(0, nl).toString('latin1'));
        buf = buf.subarray(nl + 1);
        continue;
      }
      const nl = buf.indexOf(0x0a);
      if (nl < 0) break;
      if (!buf.subarray(0, 5).equals(Buffer.from('FRAME'))) throw new AppFailure('CORRUPT_INPUT', `corrupt y4m stream at frame ${index}`);
      const { width, height } = header;
      const ySize = width * height;
      const cSize = ((width + 1) >> 1) * ((height + 1) >> 1);
      const need = nl + 1 + ySize + 2 * cSize;
      if (buf.length < need) break;
      const base = nl + 1;
      const rgba = i420ToRgba(buf.subarray(base, base + ySize), buf.subarray(base + ySize, base + ySize + cSize), buf.subarray(base + ySize + cSize, need), width, height);
      yield { index, time: index / header.fps, width, height, rgba, fps: header.fps };
      index++;
      buf = buf.subarray(need);
      if (index >= maxFrames) {
        stream.destroy();
        return;
      }
    }
  }
  if (!header) throw new AppFailure('CORRUPT_INPUT', 'empty or truncated video file');
}

/** Opens a video file as a y4m stream: natively for .y4m, otherwise through ffmpeg (scaled to ≤ maxWidth). */
export function openVideo(path: string, maxWidth: number): { stream: Readable; close: () => void } {
  if (/\.y4m$/i.test(path)) {
    const stream = createReadStream(path);
    return { stream, close: () => stream.destroy() };
  }
  return spawnDecoder(['-i', path, '-an', '-vf', `scale='min(${maxWidth},iw)':-2,format=yuv420p`], path, null);
}

export interface VideoStreamOptions {
  /** What the error messages call the input (default 'the video stream'). */
  label?: string;
}

/** Decoded frames with their own presentation times, and a way to stop the decoder. */
export interface TimedVideo {
  /**
   * Every frame the decoder produced, once each and in order (nothing duplicated or dropped to reach a rate);
   * `time` is the frame's presentation time in seconds from the first frame, whole microseconds; `fps` is the
   * rate the container states (a variable-rate recording's is a guess: do not derive times from it).
   */
  frames: AsyncGenerator<VideoFrame & { fps: number }>;
  close: () => void;
}

/**
 * Decodes a video that arrives as bytes (e.g. a recording decrypted in memory) through ffmpeg's stdin
 * (`-i pipe:0`): the bytes never touch the disk. ffmpeg (5.1 or later, for `-fps_mode`) must be on PATH. The input
 * is consumed as ffmpeg reads; an input that fails is cut off, and ffmpeg decodes what it received.
 *
 * A MediaRecorder WebM has a variable frame rate (15–30 fps, with stalls when the encoder falls behind), and
 * y4m carries no timestamps: resampling it to a constant rate would repeat frames (byte-identical neighbours:
 * a "frozen" picture to the face-swap screen) or drop them. So every decoded frame comes out once
 * (`-fps_mode passthrough`), and its time is its own: the `showinfo` filter logs each frame's pts (in
 * microseconds, after `settb=AVTB`) on stderr before the frame is written to stdout.
 */
export function openVideoStream(input: Readable, maxWidth: number, options: VideoStreamOptions = {}): TimedVideo {
  const label = options.label ?? 'the video stream';
  const times = new FrameTimes(label);
  const filters = [`scale='min(${maxWidth},iw)':-2`, 'format=yuv420p', 'settb=AVTB', 'showinfo=checksum=0'];
  const { stream, close } = spawnDecoder(['-i', 'pipe:0', '-an', '-fps_mode', 'passthrough', '-vf', filters.join(',')], label, input, times);
  return { frames: timedFrames(readY4m(stream), times), close };
}

async function* timedFrames(frames: AsyncGenerator<VideoFrame & { fps: number }>, times: FrameTimes): AsyncGenerator<VideoFrame & { fps: number }> {
  let first: number | null = null;
  let previous = 0;
  for await (const f of frames) {
    const pts = await times.at(f.index);
    let us: number;
    if (pts === null) {
      // a frame without a timestamp (rare): one nominal frame after the previous one
      us = f.index === 0 ? 0 : previous + Math.round(1e6 / f.fps);
    } else {
      first ??= pts;
      us = pts - first;
    }
    // the session's clock never runs backwards
    us = Math.max(us, previous);
    previous = us;
    yield { ...f, time: us / 1e6 };
  }
}

/** One showinfo line per frame: `[Parsed_showinfo_N @ 0x…] [info] n:  12 pts: 400000 pts_time:0.4 …`. */
const SHOWINFO = /^\[Parsed_showinfo_\d+ @ [^\]]*\] \[info\] n:\s*(\d+) pts:\s*(-?\d+|NOPTS)\b/;
/** An error line (`-loglevel level+…` tags every line with its level). */
const ERROR_LINE = /^(\[[^\]]* @ [^\]]*\] )?\[(error|fatal|panic)\] (.*)$/;

/**
 * The frames' pts (µs, or null without one) as ffmpeg's stderr reports them, and its first error line. stdout
 * and stderr are separate pipes: a frame may arrive before its line has been read, so at() waits for it.
 */
class FrameTimes {
  private readonly pts: Array<number | null> = [];
  private partial = '';
  private ended = false;
  private waiting: { index: number; resolve: (pts: number | null) => void; reject: (error: Error) => void } | null = null;
  firstError: string | null = null;

  constructor(private readonly label: string) {}

  write(chunk: string): void {
    const lines = (this.partial + chunk).split('\n');
    this.partial = lines.pop()!;
    for (const line of lines) this.line(line.replace(/\r$/, ''));
  }

  end(): void {
    if (this.partial) this.line(this.partial);
    this.partial = '';
    this.ended = true;
    this.wake();
  }

  at(index: number): Promise<number | null> {
    if (index < this.pts.length) return Promise.resolve(this.pts[index]!);
    return new Promise((resolve, reject) => {
      this.waiting = { index, resolve, reject };
      this.wake();
    });
  }

  private line(line: string): void {
    const info = SHOWINFO.exec(line);
    if (info) {
      if (Number(info[1]) === this.pts.length) this.pts.push(info[2] === 'NOPTS' ? null : Number(info[2]));
      this.wake();
      return;
    }
    const error = ERROR_LINE.exec(line);
    if (error && this.firstError === null) this.firstError = `${error[1] ?? ''}${error[3]}`.trim();
  }

  private wake(): void {
    const w = this.waiting;
    if (!w) return;
    if (w.index < this.pts.length) {
      this.waiting = null;
      w.resolve(this.pts[w.index]!);
    } else if (this.ended) {
      this.waiting = null;
      w.reject(new AppFailure('CORRUPT_INPUT', `ffmpeg gave no timestamp for frame ${w.index} of ${this.label}`));
    }
  }
}

/**
 * ffmpeg with y4m on stdout; its failures become the stream's error (UNAVAILABLE without ffmpeg, CORRUPT_INPUT for
 * bad media). With `times`, ffmpeg logs at info level and stderr goes to it (frame times, the first error line).
 */
function spawnDecoder(inputArgs: string[], label: string, input: Readable | null, times: FrameTimes | null = null): { stream: Readable; close: () => void } {
  const logging = times ? ['-hide_banner', '-nostats', '-loglevel', 'repeat+level+info'] : ['-v', 'error'];
  const child = spawn('ffmpeg', [...logging, ...(input ? [] : ['-nostdin']), ...inputArgs, '-f', 'yuv4mpegpipe', '-'], {
    stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  if (input && child.stdin) {
    // EPIPE when ffmpeg stops reading (killed by close(), or it gave up): its exit status tells what happened
    pipeline(input, child.stdin, () => {});
  }
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => {
    if (times) times.write(d);
    else if (stderr.length < 2000) stderr += d;
  });
  child.stderr!.on('end', () => times?.end());
  // stdout is passed on and ended only once ffmpeg has exited: a decoder that fails is then an error, never a
  // clean end of a (too short) video
  const stream = new PassThrough();
  child.stdout!.pipe(stream, { end: false });
  child.on('error', (error: NodeJS.ErrnoException) => {
    times?.end();
    stream.destroy(
      error.code === 'ENOENT'
        ? new AppFailure(
            'UNAVAILABLE',
            input
              ? `ffmpeg was not found on PATH: it decodes ${label}; install ffmpeg (e.g. apt-get install ffmpeg)`
              : `${label} is not a .y4m file and ffmpeg was not found on PATH; install ffmpeg (e.g. apt-get install ffmpeg) or convert the video to .y4m`,
          )
        : new AppFailure('IO_ERROR', `could not run ffmpeg: ${error.message}`),
    );
  });
  child.on('close', (code) => {
    times?.end();
    const message = times ? times.firstError : stderr.trim().split('\n')[0];
    if (code !== 0 && code !== null) stream.destroy(new AppFailure('CORRUPT_INPUT', `ffmpeg could not decode ${label}: ${message || `exit ${code}`}`));
    else stream.end();
  });
  return {
    stream,
    close: () => {
      input?.destroy();
      child.kill('SIGKILL');
    },
  };
}
