import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { FileKeyProvider } from '../caselog/key-provider';
import { CaseStore } from '../caselog/store';
import { silentLogger } from '../log/logger';
import { RecordingService } from '../recording/recording-service';

/** The key file: --key-file, else VERIDESK_KEY_FILE, else `<db>.key` (as `cases …`). Never created here. */
const keyFileFor = (db: string, keyFile?: string) => keyFile || process.env.VERIDESK_KEY_FILE || `${db}.key`;

function withService<T>(o: { db: string; keyFile?: string }, fn: (service: RecordingService) => Promise<T> | T): Promise<T> {
  // Reading must not create an empty database or a new key next to a mistyped path.
  if (!existsSync(o.db)) throw new Error(`database ${o.db} does not exist`);
  const store = CaseStore.open({ path: o.db, keyProvider: new FileKeyProvider(keyFileFor(o.db, o.keyFile), { create: false }) });
  return Promise.resolve()
    .then(() => fn(new RecordingService({ store, log: silentLogger })))
    .finally(() => store.close());
}

const iso = (t: number | null) => (t === null ? '-' : new Date(t).toISOString().replace('.000Z', 'Z'));
const seconds = (ms: number | null) => (ms === null ? '-' : `${(ms / 1000).toFixed(1)}s`);

/** `recordings list|export` (call recordings, docs/recording.md). */
export function registerRecordingCommands(program: Command): void {
  const recordings = program.command('recordings').description('call recordings in the local case log: list, export a playable WebM');

  recordings
    .command('list')
    .description('recordings, oldest first')
    .requiredOption('--db <path>', 'case log database')
    .option('--key-file <path>', 'master key file (default <db>.key or VERIDESK_KEY_FILE)')
    .option('--case <id>', 'only this case')
    .option('--json', 'print JSON')
    .action((o: { db: string; keyFile?: string; case?: string; json?: boolean }) =>
      withService(o, (service) => {
        const rows = service.info(o.case);
        if (o.json) return console.log(JSON.stringify(rows, null, 2));
        for (const r of rows) {
          const state = r.purgedAt !== null ? 'purged' : r.errorCode ? `${r.state}:${r.errorCode}` : r.state;
          console.log(
            [r.recordingId, r.caseId, r.callId || '-', r.track ?? 'legacy', state, `${r.chunks} chunks`, `${r.bytes} bytes`, seconds(r.durationMs), r.seekable ? 'seekable' : 'live', iso(r.startedAt ?? r.createdAt), r.sha256 ? `${r.sha256.slice(0, 16)}…` : '-'].join('\t'),
          );
        }
        if (rows.length === 0) console.log('no recordings');
      }),
    );

  recordings
    .command('export')
    .description('decrypt one recording to a WebM file (for a reviewer or ffprobe); never overwrites')
    .argument('<recordingId>')
    .requiredOption('--db <path>', 'case log database')
    .requiredOption('--out <file>', 'WebM file to write (must not exist)')
    .option('--key-file <path>', 'master key file')
    .action((recordingId: string, o: { db: string; keyFile?: string; out: string }) =>
      withService(o, async (service) => {
        if (existsSync(o.out)) throw new Error(`${o.out} already exists; refusing to overwrite it`);
        const r = await service.exportPlayable(recordingId, o.out);
        console.log(`exported recording ${recordingId} to ${o.out}: ${r.bytes} bytes, ${r.chunks} chunks, ${r.seekable ? 'seekable' : 'not seekable (live WebM)'}`);
        if (!r.complete) console.log('WARNING: the recording file ends early; exported up to the last complete chunk');
      }),
    );
}
