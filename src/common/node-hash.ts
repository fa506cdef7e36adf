/**
 * Importing this module makes ./hash.ts use node:crypto (Node processes only: main, the backend, the CLI). The
 * browser never imports it and keeps @noble/hashes; the outputs are identical.
 */
import { createHash, createHmac } from 'node:crypto';
import { setHashImplementation, type HashImplementation } from './hash';

export const nodeHashes: HashImplementation = {
  name: 'node:crypto',
  sha256Hex: (input) => createHash('sha256').update(input).digest('hex'),
  hmacSha256Hex: (key, input) => createHmac('sha256', key).update(input).digest('hex'),
};

setHashImplementation(nodeHashes);
