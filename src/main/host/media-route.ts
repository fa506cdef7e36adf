/**
 * `GET /media/recordings/<id>?t=<token>` (and the console's `/media/backend-recordings/<id>?t=<token>`, proxied to
 * the backend with the lead token: src/main/console/backend-recording-media.ts) on the headless host: a recording for the case page's <video>, decrypted
 * on the fly with Range support (src/main/review/recording-media.ts decides the answer). A media element cannot
 * send the launch secret, so the token minted by cases.recordings stands in for it; the Host lock (onRequest in
 * host-server.ts) runs before this route like before every other.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { MEDIA_BACKEND_RECORDINGS_PATH, MEDIA_RECORDINGS_PATH, MEDIA_TOKEN_PARAM } from '../../shared/review';
import type { MediaReply, MediaRequest } from '../review/recording-media';

interface MediaServer {
  serve(request: MediaRequest): Promise<MediaReply>;
}

/** A plugin, so it types against any Fastify instance; the root's hooks (Host lock, CSP headers) still run first. */
export function mediaRoutes(media: MediaServer, backendMedia?: MediaServer): FastifyPluginAsync {
  return async (app) => {
    mediaRoute(app, MEDIA_RECORDINGS_PATH, media);
    if (backendMedia) mediaRoute(app, MEDIA_BACKEND_RECORDINGS_PATH, backendMedia);
  };
}

function mediaRoute(app: FastifyInstance, path: string, media: MediaServer): void {
  app.route<{ Params: { id: string }; Querystring: Record<string, string | string[] | undefined> }>({
    method: ['GET', 'HEAD'],
    url: `${path}:id`,
    // the request line carries the token: keep it out of the per-request info logs
    logLevel: 'warn',
    exposeHeadRoute: false,
    handler: async (request, reply) => {
      const token = request.query[MEDIA_TOKEN_PARAM];
      const answer = await media.serve({
        method: request.method,
        recordingId: request.params.id,
        token: typeof token === 'string' ? token : null,
        range: request.headers.range ?? null,
      });
      reply.code(answer.status).headers(answer.headers);
      if (!answer.body) return reply.send();
      // a client that stops reading (a <video> abandons most ranges) destroys the stream, which closes the file
      return reply.send(Readable.from(answer.body, { objectMode: false }));
    },
  });
}
