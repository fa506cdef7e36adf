/**
 * `GET /media/recordings/<id>?t=<token>` on the headless host: a recording for the case page's <video>, decrypted
 * on the fly with Range support (src/main/review/recording-media.ts decides the answer). A media element cannot
 * send the launch secret, so the token minted by cases.recordings stands in for it; the Host lock (onRequest in
 * host-server.ts) runs before this route like before every other.
 */
import { Readable } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import { MEDIA_RECORDINGS_PATH, MEDIA_TOKEN_PARAM } from '../../shared/review';
import type { RecordingMedia } from '../review/recording-media';

/** A plugin, so it types against any Fastify instance; the root's hooks (Host lock, CSP headers) still run first. */
export function mediaRoutes(media: RecordingMedia): FastifyPluginAsync {
  return async (app) => {
    app.route<{ Params: { id: string }; Querystring: Record<string, string | string[] | undefined> }>({
      method: ['GET', 'HEAD'],
      url: `${MEDIA_RECORDINGS_PATH}:id`,
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
  };
}
