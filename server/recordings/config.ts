/** Recording options over the environment over defaults (docs/recording-upload.md); a bad value stops the start. */
import { join, resolve } from 'node:path';
import { openStorage, storageConfigFromEnv, type RecordingStorage, type StorageConfig } from './storage';

export const RECORDING_DEFAULTS = {
  retentionDays: 90,
  sweepIntervalMs: 60 * 60 * 1000,
} as const;

export interface RecordingOptions {
  /** A storage, or how to open one; default from the environment (storage.ts), the filesystem when unset. */
  storage?: RecordingStorage | StorageConfig;
  /** 64 hex characters; default VERIDESK_SERVER_KEY (the key reference photos use too). */
  serverKeyHex?: string;
  /** Used when there is no server key; default `<VERIDESK_SERVER_DATA or .data/server>/recording.key`. */
  keyFile?: string;
  /** Recordings older than this are purged; default VERIDESK_RECORDING_RETENTION_DAYS or 90. */
  retentionDays?: number;
  /** How often the sweep runs (default 1 h; the first a few seconds after start). */
  sweepIntervalMs?: number;
  /** The retention clock (epoch ms); default the server's (ServerOptions.now). */
  now?: () => number;
}

export interface ResolvedRecordingConfig {
  storage: RecordingStorage;
  /** Whether this plugin opened the storage (and so closes it). */
  ownsStorage: boolean;
  serverKeyHex: string | undefined;
  keyFile: string;
  retentionMs: number;
  retentionDays: number;
  sweepIntervalMs: number;
}

const isStorage = (s: RecordingStorage | StorageConfig): s is RecordingStorage => typeof (s as RecordingStorage).put === 'function';

export function resolveRecordingConfig(options: RecordingOptions, env: NodeJS.ProcessEnv = process.env): ResolvedRecordingConfig {
  const raw = env.VERIDESK_RECORDING_RETENTION_DAYS;
  const retentionDays = options.retentionDays ?? (raw ? Number(raw) : RECORDING_DEFAULTS.retentionDays);
  if (!Number.isFinite(retentionDays) || retentionDays <= 0) throw new Error('VERIDESK_RECORDING_RETENTION_DAYS must be a positive number of days');
  const sweepIntervalMs = options.sweepIntervalMs ?? RECORDING_DEFAULTS.sweepIntervalMs;
  if (!Number.isFinite(sweepIntervalMs) || sweepIntervalMs <= 0) throw new Error('recording sweep interval must be positive');
  const given = options.storage ?? storageConfigFromEnv(env);
  return {
    storage: isStorage(given) ? given : openStorage(given),
    ownsStorage: !isStorage(given),
    serverKeyHex: options.serverKeyHex ?? (env.VERIDESK_SERVER_KEY || undefined),
    keyFile: options.keyFile ?? join(resolve(env.VERIDESK_SERVER_DATA ?? '.data/server'), 'recording.key'),
    retentionMs: retentionDays * 86_400_000,
    retentionDays,
    sweepIntervalMs,
  };
}
