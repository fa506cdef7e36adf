/**
 * The embedding thread of the engine process: only fr_feature, so a 11–75 ms embedding never stalls the
 * every-frame path on the process's main thread. Built as out/main/engine-embedder.js.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { embed } from '../models/embedder';
import { createSessions } from '../models/sessions';
import type { EmbedderInit, EmbedderReply, EmbedderRequest } from './embedding-protocol';

if (!parentPort) throw new Error('the embedding worker must run in a worker thread');
const port = parentPort;
const init = workerData as EmbedderInit;

try {
  const sessions = await createSessions({ modelsDir: init.modelsDir, models: ['fr_feature'], intraOpThreads: init.intraOpThreads, providers: init.providers });
  port.on('message', (m: EmbedderRequest) => {
    void (async () => {
      const t = performance.now();
      try {
        const embedding = await embed(sessions.run, m.aligned);
        const reply: EmbedderReply = { type: 'embedding', id: m.id, embedding, ms: performance.now() - t };
        port.postMessage(reply, [embedding.buffer as ArrayBuffer]);
      } catch (error) {
        port.postMessage({ type: 'error', id: m.id, message: error instanceof Error ? error.message : String(error) } satisfies EmbedderReply);
      }
    })();
  });
  port.postMessage({ type: 'ready', provider: sessions.provider } satisfies EmbedderReply);
} catch (error) {
  port.postMessage({ type: 'initError', message: error instanceof Error ? error.message : String(error) } satisfies EmbedderReply);
}
