/**
 * The few EBML encodings the seekable header needs (RFC 8794): element = ID | size vint | payload.
 * Written here rather than with ts-ebml's Encoder, which looks every element name up by scanning the
 * whole Matroska schema: building Cues for an hour-long call took seconds that way.
 */

export const IDS = {
  Segment: Buffer.from('18538067', 'hex'),
  SeekHead: Buffer.from('114d9b74', 'hex'),
  Seek: Buffer.from('4dbb', 'hex'),
  SeekID: Buffer.from('53ab', 'hex'),
  SeekPosition: Buffer.from('53ac', 'hex'),
  Info: Buffer.from('1549a966', 'hex'),
  Duration: Buffer.from('4489', 'hex'),
  Tracks: Buffer.from('1654ae6b', 'hex'),
  Cues: Buffer.from('1c53bb6b', 'hex'),
  CuePoint: Buffer.from('bb', 'hex'),
  CueTime: Buffer.from('b3', 'hex'),
  CueTrackPositions: Buffer.from('b7', 'hex'),
  CueTrack: Buffer.from('f7', 'hex'),
  CueClusterPosition: Buffer.from('f1', 'hex'),
} as const;

/** "Unknown size" for a live Segment: 8-byte vint of all ones. */
export const UNKNOWN_SIZE = Buffer.from('01ffffffffffffff', 'hex');

/** The shortest size vint for `n` (all-ones values are reserved for "unknown"). */
export function sizeVint(n: number): Buffer {
  for (let width = 1; width <= 8; width++) {
    if (n < 2 ** (7 * width) - 1) {
      const out = Buffer.alloc(width);
      let v = n;
      for (let i = width - 1; i >= 0; i--) {
        out[i] = v % 256;
        v = Math.floor(v / 256);
      }
      out[0]! |= 0x80 >> (width - 1);
      return out;
    }
  }
  throw new RangeError(`EBML size ${n} is too large`);
}

export function uint(n: number): Buffer {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`not an unsigned integer: ${n}`);
  const bytes: number[] = [];
  let v = n;
  do {
    bytes.unshift(v % 256);
    v = Math.floor(v / 256);
  } while (v > 0);
  return Buffer.from(bytes);
}

export function float64(x: number): Buffer {
  const out = Buffer.alloc(8);
  out.writeDoubleBE(x, 0);
  return out;
}

export const element = (id: Buffer, ...payload: Buffer[]): Buffer => {
  const body = Buffer.concat(payload);
  return Buffer.concat([id, sizeVint(body.length), body]);
};

/** Reads one EBML vint at `at`: its width and value (`marker: false` keeps the length marker, as IDs do). */
export function readVint(buf: Buffer, at: number, marker = true): { width: number; value: number } | null {
  const first = buf[at];
  if (first === undefined || first === 0) return null;
  const width = Math.clz32(first) - 23;
  if (at + width > buf.length) return null;
  let value = marker ? first & (0xff >> width) : first;
  for (let i = 1; i < width; i++) value = value * 256 + buf[at + i]!;
  return { width, value };
}

/** Splits an element payload into its children's raw bytes, with each child's ID. */
export function children(payload: Buffer): { id: number; raw: Buffer }[] | null {
  const out: { id: number; raw: Buffer }[] = [];
  let at = 0;
  while (at < payload.length) {
    const id = readVint(payload, at, false);
    if (!id) return null;
    const size = readVint(payload, at + id.width);
    if (!size) return null;
    const end = at + id.width + size.width + size.value;
    if (end > payload.length) return null;
    out.push({ id: id.value, raw: payload.subarray(at, end) });
    at = end;
  }
  return out;
}
