/**
 * Video files for `analyze`: .y4m (YUV4MPEG2, 4:2:0) is read natively; anything else is piped through
 * `ffmpeg` (must be on PATH) as y4m; so is a video that arrives as a byte stream (openVideoStream, ffmpeg's stdin).
 * Frames are streamed, never loaded whole.
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
  /**
   * Resample to this constant rate by the frames' timestamps (ffmpeg's fps filter). A MediaRecorder WebM has a
   * variable rate, and y4m carries no timestamps: without it, frame index / header rate would not be video time.
   */
  fps?: number;
  /** What the error messages call the input (default 'the video stream'). */
  label?: string;
}

/**
 * Decodes a video that arrives as bytes (e.g. a recording decrypted in memory) through ffmpeg's stdin
 * (`-i pipe:0`): the bytes never touch the disk. ffmpeg must be on PATH. The input is consumed as ffmpeg reads;
 * an input that fails is cut off, and ffmpeg decodes what it received.
 */
export function openVideoStream(input: Readable, maxWidth: number, options: VideoStreamOptions = {}): { stream: Readable; close: () => void } {
  const filters = [...(options.fps ? [`fps=${options.fps}`] : []), `scale='min(${maxWidth},iw)':-2`, 'format=yuv420p'];
  return spawnDecoder(['-i', 'pipe:0', '-an', '-vf', filters.join(',')], options.label ?? 'the video stream', input);
}

/** ffmpeg with y4m on stdout; its failures become the stream's error (UNAVAILABLE without ffmpeg, CORRUPT_INPUT for bad media). */
function spawnDecoder(inputArgs: string[], label: string, input: Readable | null): { stream: Readable; close: () => void } {
  const child = spawn('ffmpeg', ['-v', 'error', ...(input ? [] : ['-nostdin']), ...inputArgs, '-f', 'yuv4mpegpipe', '-'], {
    stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  if (input && child.stdin) {
    // EPIPE when ffmpeg stops reading (killed by close(), or it gave up): its exit status tells what happened
    pipeline(input, child.stdin, () => {});
  }
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    if (stderr.length < 2000) stderr += d.toString();
  });
  // stdout is passed on and ended only once ffmpeg has exited: a decoder that fails is then an error, never a
  // clean end of a (too short) video
  const stream = new PassThrough();
  child.stdout!.pipe(stream, { end: false });
  child.on('error', (error: NodeJS.ErrnoException) => {
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
    if (code !== 0 && code !== null) stream.destroy(new AppFailure('CORRUPT_INPUT', `ffmpeg could not decode ${label}: ${stderr.trim().split('\n')[0] || `exit ${code}`}`));
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
