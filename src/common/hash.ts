/**
 * The hashes the case log's proofs rest on, in one place (docs/caselog.md). The default implementation is plain
 * JavaScript (@noble/hashes), so the same code verifies a chain or a checkpoint in a browser; Node processes
 * (main, the backend, the CLI) switch to node:crypto, about four times faster on this workload, by importing
 * ./node-hash.ts. Both give the same bytes (tests/unit/shared/hash.test.ts). Inputs are UTF-8 text (canonical
 * JSON) or bytes; outputs lower-case hex.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';

export interface HashImplementation {
  readonly name: string;
  sha256Hex(input: string | Uint8Array): string;
  hmacSha256Hex(key: Uint8Array, input: string | Uint8Array): string;
}

const bytesOf = (input: string | Uint8Array): Uint8Array => (typeof input === 'string' ? utf8ToBytes(input) : input);

export const nobleHashes: HashImplementation = {
  name: '@noble/hashes',
  sha256Hex: (input) => bytesToHex(sha256(bytesOf(input))),
  hmacSha256Hex: (key, input) => bytesToHex(hmac(sha256, key, bytesOf(input))),
};

let current: HashImplementation = nobleHashes;

export function setHashImplementation(impl: HashImplementation): void {
  current = impl;
}

export const hashImplementation = (): string => current.name;

export function sha256Hex(input: string | Uint8Array): string {
  return current.sha256Hex(input);
}

export function hmacSha256Hex(key: Uint8Array, input: string | Uint8Array): string {
  return current.hmacSha256Hex(key, input);
}

/** Compares two hex digests without an early exit (the seal and head MACs are secrets' outputs). */
export function hexEquals(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

export { bytesToHex, hexToBytes };
