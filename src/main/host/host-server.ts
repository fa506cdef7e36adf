import { existsSync } from 'node:fs';
import Fastify from 'fastify';
import fastifyStatic from '@fastify/static';
import fastifyWebsocket from '@fastify/websocket';
import { MAX_FRAME_BYTES } from '../../shared/frame';
import type { Logger } from '../log/logger';
import type { Workstation } from '../workstation';
import { CONTENT_SECURITY_POLICY } from './csp';
import { serveWorkstationSocket } from './ws-transport';

export interface HostOptions {
  workstation: Workstation;
  /** The built renderer (out/renderer). */
  rendererDir: string;
  log: Logger;
}

/** Largest WebSocket message: one full-size frame plus its header; anything bigger closes that socket with 1009. */
export const MAX_WS_MESSAGE_BYTES = MAX_FRAME_BYTES + 1024;

/**
 * The headless host: the workstation's main-side services behind a WebSocket transport, and the
 * built renderer served over HTTP, so the whole app runs in any Chromium.
 */
export async function buildHost({ workstation, rendererDir, log }: HostOptions) {
  if (!existsSync(rendererDir)) throw new Error(`renderer not built: ${rendererDir} is missing (run npm run build)`);
  const app = Fastify({ loggerInstance: log, bodyLimit: 64 * 1024 });

  app.addHook('onSend', async (_request, reply) => {
    reply.header('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('Referrer-Policy', 'no-referrer');
  });

  await app.register(fastifyWebsocket, { options: { maxPayload: MAX_WS_MESSAGE_BYTES } });
  await app.register(fastifyStatic, { root: rendererDir });

  app.get('/ws', { websocket: true }, (socket, request) => {
    const origin = request.headers.origin;
    // Browsers always send Origin: only pages served by this host may drive it.
    if (origin !== undefined && origin !== `http://${request.headers.host}`) {
      log.warn({ origin }, 'websocket from a foreign origin refused');
      socket.close(1008, 'origin not allowed');
      return;
    }
    serveWorkstationSocket(socket, workstation, log);
  });

  return app;
}
