/**
 * The renderer's quick check of a dropped ID photo, before anything is read in full or sent: the size and the
 * first bytes (main and the engine check the content again; this is for an immediate, clear message).
 */
import { MAX_ID_PHOTO_BYTES } from '../../../shared/desk';

export type ImageKind = 'jpeg' | 'png' | 'webp';
export type IdPhotoProblem = 'empty' | 'too_large' | 'not_image';

/** What the file input offers (the content decides, not the name). */
export const ID_PHOTO_ACCEPT = '.jpg,.jpeg,.png,.webp,image/jpeg,image/png,image/webp';
/** Bytes needed to recognise every accepted kind (WebP: RIFF, 4 size bytes, WEBP). */
export const SNIFF_BYTES = 12;

const startsWith = (bytes: Uint8Array, at: number, signature: readonly number[]) => signature.every((b, i) => bytes[at + i] === b);
const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));

/** JPEG FF D8 FF, PNG 89 50 4E 47 0D 0A 1A 0A, WebP "RIFF" …. "WEBP"; null for anything else. */
export function sniffImage(head: Uint8Array): ImageKind | null {
  if (startsWith(head, 0, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(head, 0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (startsWith(head, 0, ascii('RIFF')) && startsWith(head, 8, ascii('WEBP'))) return 'webp';
  return null;
}

type Refused = { ok: false; problem: IdPhotoProblem };

function sizeProblem(size: number): Refused | null {
  if (size === 0) return { ok: false, problem: 'empty' };
  if (size > MAX_ID_PHOTO_BYTES) return { ok: false, problem: 'too_large' };
  return null;
}

export function checkIdPhoto(size: number, head: Uint8Array): { ok: true; kind: ImageKind } | Refused {
  const refused = sizeProblem(size);
  if (refused) return refused;
  const kind = sniffImage(head);
  return kind ? { ok: true, kind } : { ok: false, problem: 'not_image' };
}

/** Reads and checks a file (the size first: a huge file is refused without reading it). */
export async function readIdPhoto(file: Blob): Promise<{ ok: true; kind: ImageKind; bytes: Uint8Array } | Refused> {
  const refused = sizeProblem(file.size);
  if (refused) return refused;
  const head = new Uint8Array(await file.slice(0, SNIFF_BYTES).arrayBuffer());
  const checked = checkIdPhoto(file.size, head);
  if (!checked.ok) return checked;
  return { ...checked, bytes: new Uint8Array(await file.arrayBuffer()) };
}
