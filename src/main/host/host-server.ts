import { existsSync } from 'node:fs';
import Fastify from 'fastify';
import fastifyStatic from '@fastify/static';
import fastifyWebsocket from '@fastify/websocket';
import { MAX_FRAME_BYTES } from '../../shared/frame';
import type { Logger } from '../log/logger';
import type { Workstation } from '../workstation';
import { CONTENT_SECURITY_POLICY } from './csp';
import { allowedHosts, allowedOrigins, hostAllowed, secretPresented } from './host-lock';
import { mediaRoutes } from './media-route';
import { serveWorkstationSocket } from './ws-transport';

export interface HostOptions {
  workstation: Workstation;
  /** The built renderer (out/renderer). */
  rendererDir: string;
  log: Logger;
  /** The launch secret the WebSocket requires (host-lock.ts). */
  secret: string;
  /** The name given with --host (besides the loopback names): the Host header allow-list, on the listening port. */
  extraHost?: string;
}

/** Largest WebSocket message: one full-size frame plus its header; anything bigger closes that socket with 1009. */
export const MAX_WS_MESSAGE_BYTES = MAX_FRAME_BYTES + 1024;

/**
 * The headless host: the workstation's main-side services behind a WebSocket transport, and the
 * built renderer served over HTTP, so the whole app runs in any Chromium.
 */
export async function buildHost({ workstation, rendererDir, log, secret, extraHost }: HostOptions) {
  if (!existsSync(rendererDir)) throw new Error(`renderer not built: ${rendererDir} is missing (run npm run build)`);
  const app = Fastify({ loggerInstance: log, bodyLimit: 64 * 1024 });
  // the real port is known once listening (tests ask for port 0)
  let lists: { hosts: Set<string>; origins: Set<string> } | null = null;
  const allowed = () => {
    if (!lists) {
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      const hosts = allowedHosts(port, extraHost);
      lists = { hosts, origins: allowedOrigins(hosts) };
    }
    return lists;
  };

  // DNS rebinding: a foreign name pointing at 127.0.0.1 gets nothing, not even the page
  app.addHook('onRequest', async (request, reply) => {
    if (!hostAllowed(request.headers.host, allowed().hosts)) {
      log.warn({ host: request.headers.host }, 'request for a foreign Host header refused');
      // a refused WebSocket upgrade keeps its raw socket otherwise (and holds the host's shutdown)
      if (request.raw.headers.upgrade) setImmediate(() => request.raw.socket?.destroy());
      return reply.code(421).type('text/plain').header('connection', 'close').send('VeriDesk host: unknown Host header (open the address the host printed)');
    }
  });

  app.addHook('onSend', async (_request, reply) => {
    reply.header('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('Referrer-Policy', 'no-referrer');
  });

  await app.register(fastifyWebsocket, { options: { maxPayload: MAX_WS_MESSAGE_BYTES } });
  await app.register(fastifyStatic, { root: rendererDir });

  // the case page's recordings, behind a per-recording token instead of the launch secret (media-route.ts)
  await app.register(mediaRoutes(workstation.media, workstation.backendMedia));

  app.get('/ws', { websocket: true }, (socket, request) => {
    const origin = request.headers.origin;
    // Browsers always send Origin: only pages served by this host may drive it.
    if (origin !== undefined && !allowed().origins.has(origin.toLowerCase())) {
      log.warn({ origin }, 'websocket from a foreign origin refused');
      socket.close(1008, 'origin not allowed');
      return;
    }
    // and every client, with or without Origin (a local process), must bring this launch's secret
    if (!secretPresented(request.headers['sec-websocket-protocol'], secret)) {
      log.warn('websocket without the launch secret refused');
      socket.close(1008, 'launch secret required');
      return;
    }
    serveWorkstationSocket(socket, workstation, log);
  });

  return app;
}
