/**
 * Serves the customer join page (src/join, built by `vite build -c vite.join.config.ts` into
 * out/join): `GET /join/<roomId>` and `GET /join/q/<requestId>` (a queued customer, issue 12) → index.html,
 * `GET /join/assets/*` → its hashed assets.
 *
 *   await app.register(registerJoinPage, { dir: 'out/join' })
 *
 * The page is opened by bank customers from a link, often inside WeChat: it gets a strict CSP, no
 * Referer (the join token is in the fragment and must never leak), and the HTML is never cached
 * (a cached page could outlive the assets of a redeploy).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { QUEUE_JOIN_PATH_PREFIX, QueueIdSchema } from '../../src/shared/queue';
import { JOIN_PATH_PREFIX, ROOM_ID_PATTERN } from '../../src/shared/signaling';

export interface JoinPageOptions {
  /** The built page: a folder holding index.html and assets/. */
  dir: string;
}

const BASE_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob: mediastream:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
];

/** A Host header worth echoing: a DNS name or an IP literal, optional port; nothing that could break out of the header. */
const HOST_PATTERN = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

/**
 * The page's Content-Security-Policy. `connect-src 'self'` covers same-origin ws:/wss: in Chromium
 * and Firefox, but WebKit before its 2022 fix (bug 235873: iOS 15 and older, so iOS WeChat on those
 * phones) does not treat a WebSocket as 'self', so the page's own signaling origin is named too:
 * the policy is no wider than same-host.
 */
export function joinPagePolicy(socketOrigin: string | null): string {
  const connect = socketOrigin ? `connect-src 'self' ${socketOrigin}` : "connect-src 'self'";
  return [...BASE_POLICY, connect].join('; ');
}

function socketOriginOf(request: FastifyRequest): string | null {
  const host = request.host;
  if (typeof host !== 'string' || !HOST_PATTERN.test(host)) return null;
  return `${request.protocol === 'https' ? 'wss' : 'ws'}://${host.toLowerCase()}`;
}

const ASSETS_PREFIX = `${JOIN_PATH_PREFIX}assets/`;

/** A queued request's id as the page will use it in API paths: never a bare `.` or `..` (a path segment to a browser). */
export function isJoinableRequestId(value: string): boolean {
  return QueueIdSchema.safeParse(value).success && value !== '.' && value !== '..';
}

export const registerJoinPage: FastifyPluginAsync<JoinPageOptions> = async (app, options) => {
  const dir = resolve(options.dir);
  const indexPath = join(dir, 'index.html');
  if (!existsSync(indexPath)) throw new Error(`join page not built: ${indexPath} is missing (run npx vite build -c vite.join.config.ts)`);

  // Headers for everything this plugin serves (the hook is scoped to this plugin's routes).
  app.addHook('onSend', async (_request, reply) => {
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('Referrer-Policy', 'no-referrer');
  });

  await app.register(fastifyStatic, {
    root: join(dir, 'assets'),
    prefix: ASSETS_PREFIX,
    // the host app (or another plugin) may already have decorated reply.sendFile
    decorateReply: false,
    index: false,
    list: false,
    dotfiles: 'ignore',
    // file names carry a content hash: cache for a year, never revalidate
    maxAge: '365d',
    immutable: true,
  });

  const notFound = (reply: FastifyReply) =>
    reply.code(404).type('text/plain; charset=utf-8').header('Cache-Control', 'no-store').send('链接无效。Invalid link.\n');

  const sendPage = async (request: FastifyRequest, reply: FastifyReply) => {
    // Read on every request: it is tiny, and a redeploy's new index.html is picked up at once.
    const html = await readFile(indexPath);
    return reply
      .type('text/html; charset=utf-8')
      .header('Content-Security-Policy', joinPagePolicy(socketOriginOf(request)))
      .header('Cache-Control', 'no-store')
      // frame-ancestors for browsers too old for it (older in-app WebViews)
      .header('X-Frame-Options', 'DENY')
      .header('Permissions-Policy', 'camera=(self), microphone=(self), geolocation=(), payment=(), usb=()')
      .header('Cross-Origin-Opener-Policy', 'same-origin')
      .send(html);
  };

  app.get<{ Params: { roomId: string } }>(`${JOIN_PATH_PREFIX}:roomId`, async (request, reply) => {
    if (!ROOM_ID_PATTERN.test(request.params.roomId)) return notFound(reply);
    return sendPage(request, reply);
  });

  // The same page in queue mode; its secret is in the fragment, so this request carries only the id.
  app.get<{ Params: { requestId: string } }>(`${QUEUE_JOIN_PATH_PREFIX}:requestId`, async (request, reply) => {
    if (!isJoinableRequestId(request.params.requestId)) return notFound(reply);
    return sendPage(request, reply);
  });
};
