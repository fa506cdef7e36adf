/** Times on the case page. Pure. */

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** A position on the replay timeline: m:ss (h:mm:ss past an hour), never negative. */
export function formatOffset(seconds: number): string {
  const s = Math.max(0, Math.floor(Number.isFinite(seconds) ? seconds : 0));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

/** An event's wall-clock time, to the millisecond (the order of events a second apart matters in an audit). */
export function formatEventTime(at: number): string {
  const d = new Date(at);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}
