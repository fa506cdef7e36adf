/**
 * The hashes the case log's proofs rest on, in one place and in plain JavaScript (@noble/hashes): the same
 * code runs in main, in the backend and in a browser, so a web view can verify a chain or a checkpoint
 * without Node's crypto. Inputs are UTF-8 text (canonical JSON) or bytes; outputs lower-case hex.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';

const bytesOf = (input: string | Uint8Array): Uint8Array => (typeof input === 'string' ? utf8ToBytes(input) : input);

export function sha256Hex(input: string | Uint8Array): string {
  return bytesToHex(sha256(bytesOf(input)));
}

export function hmacSha256Hex(key: Uint8Array, input: string | Uint8Array): string {
  return bytesToHex(hmac(sha256, key, bytesOf(input)));
}

/** Compares two hex digests without an early exit (the seal and head MACs are secrets' outputs). */
export function hexEquals(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

export { bytesToHex, hexToBytes };
