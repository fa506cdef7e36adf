/**
 * Child process for the crash tests: records a WebM file chunk by chunk and reports each durable chunk
 * on stdout ("ack <seq>"), slowly enough that the parent can SIGKILL it in the middle of a recording.
 * Usage: node --import tsx crash-writer.ts <db> <webm file> <chunk bytes> <delay ms>
 */
import { readFileSync } from 'node:fs';
import { silentLogger } from '../../../src/main/log/logger';
import { RecordingService } from '../../../src/main/recording/recording-service';
import { openCase, openStore } from './helpers';
import { dirname } from 'node:path';

const [db, webmPath, chunkBytes, delayMs] = process.argv.slice(2) as [string, string, string, string];
const webm = readFileSync(webmPath);
const store = openStore(dirname(db));
const caseId = openCase(store);
const service = new RecordingService({ store, log: silentLogger });
const { recordingId } = service.start({ caseId, callId: 'call-crash-01', track: 'customer', mimeType: 'video/webm', startedAt: Date.now(), actor: 'agent-7' });
process.stdout.write(`ready ${recordingId} ${caseId}\n`);
const size = Number(chunkBytes);
let seq = 0;
const tick = () => {
  const offset = seq * size;
  if (offset >= webm.length) {
    process.stdout.write('done\n');
    return; // never stops: the parent kills it
  }
  service.appendChunk(recordingId, seq, webm.subarray(offset, offset + size));
  process.stdout.write(`ack ${seq}\n`);
  seq++;
  setTimeout(tick, Number(delayMs));
};
tick();
setInterval(() => {}, 1000);
