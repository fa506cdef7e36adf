/**
 * The app:// scheme that serves the built renderer (issue 10 item 5). Plain Node, no Electron: the URL-to-file
 * rule is a pure function over an injected `path` module, so the same tests run it with path.posix and path.win32,
 * and the handler is built on the standard Request/Response so it runs under vitest as it does in Electron.
 *
 * Why a scheme and not file://: a file:// page has an opaque origin, so "is this our page?" could only be decided
 * by comparing paths, and any local file a user opens shares the same 'null' origin. app://veridesk is one tuple
 * origin that only this handler can produce.
 */
import nodePath from 'node:path';
import { readFile } from 'node:fs/promises';
import { MEDIA_BACKEND_RECORDINGS_PATH, MEDIA_RECORDINGS_PATH, MEDIA_TOKEN_PARAM } from '../../shared/review';
import { CONTENT_SECURITY_POLICY } from '../host/csp';
import type { MediaReply, MediaRequest } from '../review/recording-media';

export const APP_SCHEME = 'app';
export const APP_HOST = 'veridesk';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_INDEX_URL = `${APP_ORIGIN}/index.html`;

/** The subset of node:path the resolver uses, so path.posix and path.win32 are interchangeable in tests. */
export type PathModule = Pick<typeof nodePath, 'resolve' | 'relative' | 'isAbsolute' | 'sep'>;

export type AppResolution = { ok: true; file: string } | { ok: false; status: 403 | 404 };

const REFUSED = { ok: false, status: 403 } as const;
const NOT_FOUND = { ok: false, status: 404 } as const;
// Windows opens a device, not a file, for these names in any folder and with any extension
const WINDOWS_DEVICE = /^(con|prn|aux|nul|conin\$|conout\$|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i;

/**
 * Maps an app:// request URL onto a file under `root`, or refuses it. Each path segment is decoded on its own and
 * must be a plain name: decoding after splitting is what stops `..%2f..%2f` and `%5c..%5c` from turning into
 * separators, and a ':' is refused because on Windows it names a drive (`C:`) or an alternate data stream.
 * The containment check afterwards is the backstop should a segment rule ever miss something.
 */
export function resolveAppRequest(requestUrl: string, root: string, path: PathModule = nodePath): AppResolution {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return REFUSED;
  }
  // Node parses app: as a non-special scheme, so host keeps its case and a port or credentials would survive
  if (url.protocol !== `${APP_SCHEME}:` || url.hostname.toLowerCase() !== APP_HOST || url.port !== '' || url.username !== '' || url.password !== '') return REFUSED;

  const pathname = url.pathname === '' || url.pathname === '/' ? '/index.html' : url.pathname;
  if (!pathname.startsWith('/')) return REFUSED;
  const segments: string[] = [];
  for (const raw of pathname.slice(1).split('/')) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return REFUSED;
    }
    if (segment === '') return NOT_FOUND; // 'a//b' or a trailing '/': never a file we ship
    if (segment === '.' || segment === '..' || /[/\\:\0]/.test(segment)) return REFUSED;
    if (path.sep === '\\' && (WINDOWS_DEVICE.test(segment) || /[<>"|?*]/.test(segment) || /[. ]$/.test(segment))) return REFUSED;
    segments.push(segment);
  }

  const base = path.resolve(root);
  const file = path.resolve(base, ...segments);
  const relative = path.relative(base, file);
  if (relative === '' || relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) return REFUSED;
  return { ok: true, file };
}

const MIME: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  htm: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  json: 'application/json; charset=utf-8',
  map: 'application/json; charset=utf-8',
  txt: 'text/plain; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
  ico: 'image/x-icon',
  woff: 'font/woff',
  woff2: 'font/woff2',
  ttf: 'font/ttf',
  otf: 'font/otf',
  wasm: 'application/wasm',
  mp3: 'audio/mpeg',
  wav: 'audio/wav',
  ogg: 'audio/ogg',
  mp4: 'video/mp4',
  webm: 'video/webm',
  onnx: 'application/octet-stream',
  bin: 'application/octet-stream',
};

/** The Content-Type for a file name; anything unlisted is octet-stream, which (with nosniff) a page cannot run. */
export function mimeType(file: string): string {
  const name = file.slice(Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\')) + 1);
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return 'application/octet-stream';
  return MIME[name.slice(dot + 1).toLowerCase()] ?? 'application/octet-stream';
}

export interface AppProtocolOptions {
  /** The built renderer folder (out/renderer), inside app.asar when packaged. */
  root: string;
  readFile?: (file: string) => Promise<Uint8Array>;
  path?: PathModule;
  /** The case page's recordings (src/main/review/recording-media.ts); without it /media/… is a plain 404. */
  media?: { serve(request: MediaRequest): Promise<MediaReply> };
  /** The 质检 console's backend recordings (src/main/console/backend-recording-media.ts) on /media/backend-recordings/…. */
  backendMedia?: { serve(request: MediaRequest): Promise<MediaReply> };
}

/** `/media/recordings/<uuid>` exactly: anything else under /media is a file name like any other (and 404s). */
const MEDIA_PATH = new RegExp(`^${MEDIA_RECORDINGS_PATH}([0-9a-f-]{36})$`);
const BACKEND_MEDIA_PATH = new RegExp(`^${MEDIA_BACKEND_RECORDINGS_PATH}([0-9a-f-]{36})$`);

/** The recording a URL names on app://veridesk/media/recordings/<id>, or null (the path rule above, and no more). */
export function mediaRecordingOf(requestUrl: string, path: RegExp = MEDIA_PATH): { recordingId: string; token: string | null } | null {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return null;
  }
  const match = path.exec(url.pathname);
  return match ? { recordingId: match[1]!, token: url.searchParams.get(MEDIA_TOKEN_PARAM) } : null;
}

/** A media reply as the standard Response protocol.handle wants; the body streams (Electron's `stream` privilege). */
function mediaResponse(reply: MediaReply): Response {
  const body = reply.body ? (ReadableStream.from(reply.body) as ReadableStream<Uint8Array>) : null;
  return new Response(body, { status: reply.status, headers: reply.headers });
}

function refusal(status: number): Response {
  return new Response(null, { status, headers: { 'X-Content-Type-Options': 'nosniff' } });
}

/** The protocol.handle('app', …) handler: GET/HEAD of files under root, nothing else. */
export function createAppProtocolHandler(options: AppProtocolOptions): (request: Request) => Promise<Response> {
  const read = options.readFile ?? readFile;
  const path = options.path ?? nodePath;
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return refusal(405);
    // the same URL rule first for every path, /media included: a traversal is refused before any route sees it
    const resolution = resolveAppRequest(request.url, options.root, path);
    if (!resolution.ok) return refusal(resolution.status);
    const media = options.media && mediaRecordingOf(request.url);
    if (media && options.media) {
      return mediaResponse(await options.media.serve({ method: request.method, ...media, range: request.headers.get('range') }));
    }
    const backendMedia = options.backendMedia && mediaRecordingOf(request.url, BACKEND_MEDIA_PATH);
    if (backendMedia && options.backendMedia) {
      return mediaResponse(await options.backendMedia.serve({ method: request.method, ...backendMedia, range: request.headers.get('range') }));
    }
    let body: Uint8Array;
    try {
      body = await read(resolution.file);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException | null)?.code;
      return refusal(code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR' ? 404 : 500);
    }
    const type = mimeType(resolution.file);
    const headers: Record<string, string> = { 'Content-Type': type, 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-cache' };
    // the meta tag in index.html cannot carry frame-ancestors; the header can, and it is the host server's policy
    if (type.startsWith('text/html')) headers['Content-Security-Policy'] = CONTENT_SECURITY_POLICY;
    return new Response(request.method === 'HEAD' ? null : new Uint8Array(body), { status: 200, headers });
  };
}
