/**
 * Storage keys of a recording's objects: `<recordingId>/<name>`, one folder per recording (retention deletes
 * the folder). A chunk's name carries a random suffix, and the database row says which object holds the chunk:
 * two puts of one seq (a retry after a lost reply, a crash between the put and the row) never write the same
 * object, so an object a row points at is never overwritten; the extras are deleted when the upload completes.
 */
import { randomBytes } from 'node:crypto';

/** Recording ids as the workstation makes them (UUIDs), and nothing that could leave a folder. */
export const RECORDING_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

const KEY = /^[A-Za-z0-9_-]{1,64}\/[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;
const PREFIX = /^[A-Za-z0-9_-]{1,64}\/$/;

export function checkKey(key: string): string {
  if (!KEY.test(key)) throw new Error(`invalid recording object key ${JSON.stringify(key.slice(0, 80))}`);
  return key;
}

export function checkPrefix(prefix: string): string {
  if (!PREFIX.test(prefix)) throw new Error(`invalid recording object prefix ${JSON.stringify(prefix.slice(0, 80))}`);
  return prefix;
}

export const recordingPrefix = (recordingId: string): string => checkPrefix(`${recordingId}/`);

const suffix = () => randomBytes(6).toString('hex');
/** Zero-padded so a listing sorts in seq order. */
export const chunkObjectKey = (recordingId: string, seq: number): string => checkKey(`${recordingId}/c${String(seq).padStart(9, '0')}.${suffix()}`);
export const seekHeaderObjectKey = (recordingId: string): string => checkKey(`${recordingId}/seek.${suffix()}`);
