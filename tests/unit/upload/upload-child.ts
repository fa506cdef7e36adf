// The workstation's uploader alone in a process, so the crash test can kill it with SIGKILL mid-upload:
//   node --import tsx upload-child.ts --db PATH --server URL     (token in VERIDESK_BACKEND_TOKEN)
// Prints one line per chunk the server acknowledged, then the run's result as JSON.
import { parseArgs } from 'node:util';
import { FileKeyProvider } from '../../../src/main/caselog/key-provider';
import { CaseStore } from '../../../src/main/caselog/store';
import { silentLogger } from '../../../src/main/log/logger';
import { RecordingService } from '../../../src/main/recording/recording-service';
import { LocalRecordingSource } from '../../../src/main/upload/recording-source';
import { Uploader } from '../../../src/main/upload/uploader';

const { values } = parseArgs({ options: { db: { type: 'string' }, server: { type: 'string' } } });
const store = CaseStore.open({ path: values.db!, keyProvider: new FileKeyProvider(`${values.db}.key`) });
const recordings = new RecordingService({ store, log: silentLogger });
const uploader = new Uploader({
  source: new LocalRecordingSource(store, recordings),
  serverUrl: values.server!,
  token: process.env.VERIDESK_BACKEND_TOKEN,
  maxRequestsPerSecond: 0,
  onChunk: (e) => console.log(`chunk ${e.seq} ${e.stored ? 'stored' : 'held'}`),
});
try {
  const result = await uploader.uploadOnce();
  console.log(JSON.stringify({ result }));
} catch (error) {
  console.error(`upload failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  store.close();
}
