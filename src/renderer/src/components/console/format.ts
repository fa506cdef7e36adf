/** Display helpers of the console (numbers and times as a lead reads them). */

export const percent = (v: number | null): string => (v === null ? '—' : `${(v * 100).toFixed(1)}%`);

export const seconds = (ms: number | null): string => (ms === null ? '—' : `${Math.round(ms / 1000)} s`);

/** Start of a local calendar day ('YYYY-MM-DD' from a date input) in epoch ms; end = start of the next day. */
export function dayStart(day: string, plusDays = 0): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return undefined;
  return new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + plusDays).getTime();
}

/** Minutes east of UTC of the lead's zone (what statistics and sampling group by). */
export const tzOffsetMinutes = (): number => -new Date().getTimezoneOffset();
