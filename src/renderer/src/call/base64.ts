/** Bytes → base64 for recording chunks (the contract carries them as base64 strings). */

type WithToBase64 = Uint8Array & { toBase64?: () => string };

/** Characters per String.fromCharCode call: well below the engines' argument-count limits. */
const SPREAD_CHUNK = 0x8000;

export function bytesToBase64(bytes: Uint8Array): string {
  // Chromium ≥ 140 encodes natively (and much faster); the fallback is for other engines and Node
  const native = (bytes as WithToBase64).toBase64;
  if (typeof native === 'function') return native.call(bytes);
  let binary = '';
  for (let i = 0; i < bytes.length; i += SPREAD_CHUNK) binary += String.fromCharCode(...bytes.subarray(i, i + SPREAD_CHUNK));
  return btoa(binary);
}
