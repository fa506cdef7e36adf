/**
 * The engine worker thread: owns the ONNX sessions, analyses one frame or image at a time.
 * Built as out/main/engine-worker.mjs; from source it runs under tsx (see service.ts).
 */
import { parentPort } from 'node:worker_threads';
import { AppFailure, isErrorCode } from '../../shared/errors';
import { FaceAnalyzer } from './analyzer';
import { decodeImage } from './decode';
import type { WorkerReply, WorkerRequest } from './protocol';

if (!parentPort) throw new Error('engine worker must run in a worker thread');
const port = parentPort;
let analyzer: FaceAnalyzer | null = null;

const reply = (message: WorkerReply, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

function failure(error: unknown): { code: ReturnType<typeof codeOf>; message: string } {
  return { code: codeOf(error), message: error instanceof Error ? error.message : String(error) };
}
function codeOf(error: unknown) {
  return error instanceof AppFailure && isErrorCode(error.code) ? error.code : 'INTERNAL';
}

port.on('message', (message: WorkerRequest) => {
  void handle(message);
});

async function handle(message: WorkerRequest): Promise<void> {
  switch (message.type) {
    case 'init': {
      try {
        analyzer = await FaceAnalyzer.create({
          modelsDir: message.modelsDir,
          intraOpThreads: message.intraOpThreads,
          providers: message.providers,
          config: message.config,
        });
        reply({ type: 'ready', provider: analyzer.provider, modelSha256: analyzer.modelSha256 });
      } catch (error) {
        reply({ type: 'initError', ...failure(error) });
      }
      return;
    }
    case 'frame': {
      if (!analyzer) return reply({ type: 'frameError', streamId: message.streamId, message: 'engine not ready' });
      try {
        const img = { width: message.width, height: message.height, channels: 4 as const, data: new Uint8Array(message.pixels) };
        const r = await analyzer.analyzeFrame(img, (face) => message.embeddingAllowed && face.quality?.ok === true);
        reply({
          type: 'frameResult',
          result: {
            streamId: message.streamId,
            capturedAt: message.capturedAt,
            width: message.width,
            height: message.height,
            faceCount: r.faceCount,
            primary: r.primary,
            others: r.others,
            ...(r.embedding ? { embedding: Array.from(r.embedding) } : {}),
            timingsMs: r.timingsMs,
            droppedFrames: message.droppedFrames,
          },
        });
      } catch (error) {
        reply({ type: 'frameError', streamId: message.streamId, message: failure(error).message });
      }
      return;
    }
    case 'image': {
      if (!analyzer) return reply({ type: 'imageError', id: message.id, code: 'UNAVAILABLE', message: 'engine not ready' });
      try {
        const decoded = await decodeImage(new Uint8Array(message.bytes), {
          maxInputPixels: analyzer.config.maxInputPixels,
          maxAnalysisSide: analyzer.config.maxAnalysisSide,
        });
        const { embeddingF32: _unused, ...result } = await analyzer.analyzeStill(decoded);
        reply({ type: 'imageResult', id: message.id, result });
      } catch (error) {
        reply({ type: 'imageError', id: message.id, ...failure(error) });
      }
      return;
    }
    case 'crash':
      // Simulates a fatal fault: an exception nobody catches terminates the worker.
      setImmediate(() => {
        throw new Error('engine worker crash requested (test)');
      });
      return;
  }
}
