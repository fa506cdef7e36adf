/**
 * The customer's join link: a QR code for it and copying it. The link carries the customer's
 * single-use token in its fragment, so nothing here logs it or puts it in an error.
 */
import { toDataURL } from 'qrcode/lib/browser.js';

export const joinQrDataUrl = (url: string): Promise<string> => toDataURL(url, { errorCorrectionLevel: 'M', margin: 1, width: 220 });

/**
 * Copies text: the async Clipboard API first, then the selection of the given input with the
 * legacy copy command. 'selected' when neither worked and the text is left selected for Ctrl+C.
 */
export async function copyJoinLink(text: string, input: HTMLInputElement | null): Promise<'copied' | 'selected'> {
  try {
    await navigator.clipboard.writeText(text);
    return 'copied';
  } catch {
    /* no permission or no secure context: fall back to the selection */
  }
  if (input) {
    input.focus();
    input.select();
    try {
      if (document.execCommand('copy')) return 'copied';
    } catch {
      /* leave the text selected */
    }
  }
  return 'selected';
}

/** mm:ss until the given time, 00:00 once past. */
export function remaining(until: number, now: number): string {
  const seconds = Math.max(0, Math.floor((until - now) / 1000));
  const mm = Math.floor(seconds / 60);
  return `${String(mm).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}`;
}
