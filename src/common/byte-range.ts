/**
 * The HTTP Range header (RFC 9110 §14), the single-range forms a <video> sends: `bytes=a-b`, `bytes=a-`,
 * `bytes=-n`. Several ranges in one request are answered with the whole body (a server may ignore Range), which
 * no media element asks for; anything malformed is ignored the same way, as the RFC says.
 */
export type ByteRange =
  /** No usable Range header: 200 with the whole body. */
  | { kind: 'whole' }
  | { kind: 'range'; start: number; end: number }
  /** 416: the range starts at or past the end. */
  | { kind: 'unsatisfiable' };

const SINGLE = /^bytes=(\d*)-(\d*)$/;

export function parseRange(header: string | null | undefined, size: number): ByteRange {
  if (!header) return { kind: 'whole' };
  const match = SINGLE.exec(header.trim());
  if (!match) return { kind: 'whole' };
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return { kind: 'whole' };
  if (first === '') {
    // the last n bytes
    const n = Number(last);
    if (!Number.isSafeInteger(n)) return { kind: 'whole' };
    if (n === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'range', start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? Number.MAX_SAFE_INTEGER : Number(last);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) return { kind: 'whole' };
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'range', start, end: Math.min(end, size - 1) };
}
